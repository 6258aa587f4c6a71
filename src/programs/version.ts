/** The version `dd-agent --version` and `dd-agent-loader --version` print (package.json's). */
export const version = "0.1.0"
