import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { defaultArgsScrubber, makeArgsScrubber, scrubArgs } from "../../src/services/process/ArgsScrubber.js"

const scrub = (argv: ReadonlyArray<string>, extra: ReadonlyArray<string> = []) =>
  scrubArgs(Either.getOrThrow(makeArgsScrubber(extra)), argv)

describe("command-line scrubbing (the process agent's rules)", () => {
  it("replaces the value of --key=value, -key=value, key:value, --key value, -key value and key value", () => {
    assert.deepStrictEqual(
      scrub(["app", "--api-key", "K1", "--password=hunter2", "-passwd", "p2", "-apikey=k", "db_password:x", "secret", "s3", "--auth-token", "t"]),
      ["app", "--api-key", "********", "--password=********", "-passwd", "********", "-apikey=********", "db_password:********", "secret", "********", "--auth-token", "********"]
    )
    assert.deepStrictEqual(scrub(["app", "--consul_token", "c", "-x"], ["consul_token"]), ["app", "--consul_token", "********", "-x"])
  })

  it("matches case-insensitively, with * standing for any run of key characters", () => {
    assert.deepStrictEqual(scrub(["java", "-Dssl.keyStorePassword=x", "--PassWord", "y", "--MYSQL_PWD=z", "--client_secret_file=/s"]),
      ["java", "-Dssl.keyStorePassword=********", "--PassWord", "********", "--MYSQL_PWD=********", "--client_secret_file=********"])
    assert.deepStrictEqual(scrub(["p", "--befpass=1", "--befpassX=2", "middle", "3", "--mill=4"], ["*befpass", "mi*le"]),
      ["p", "--befpass=********", "--befpassX=2", "middle", "********", "--mill=4"])
  })

  it("takes the word after a bare key as its value, whatever it looks like, and never the program name", () => {
    assert.deepStrictEqual(scrub(["password", "agent", "--password", "--verbose", "run"]), ["password", "agent", "--password", "********", "run"])
    assert.deepStrictEqual(scrub(["agent", "-password", "-password"]), ["agent", "-password", "********"])
    assert.deepStrictEqual(scrub(["agent", "--password"]), ["agent", "--password"])
  })

  it("scrubs inside a command line rewritten into one string, keeping its spacing, and replaces quoted values whole", () => {
    assert.deepStrictEqual(scrub(["postgres: app --password=\"Data Source x=1\" --user bob"]), ["postgres: app --password=******** --user bob"])
    assert.deepStrictEqual(scrub(["java -password      1234 -Xmx1g"]), ["java -password      ******** -Xmx1g"])
    assert.deepStrictEqual(scrub(["sh", "-c", "mysql --password x -e 'select 1'"]), ["sh", "-c", "mysql --password ******** -e 'select 1'"])
  })

  it("leaves other arguments alone, returning the same array when nothing matched", () => {
    const argv = ["agent", "start", "-p", "config.cfg", "--debug_port=2043", "/etc/secrets/x.pem", "-open_pword=admin", "-password/123"]
    assert.strictEqual(scrubArgs(defaultArgsScrubber, argv), argv)
    assert.deepStrictEqual(scrub(["agent", "-password/123"]), ["agent", "-password/123"])
  })

  it("rejects extra words that cannot be patterns, naming the word and the rule", () => {
    for (const [word, rule] of [["a-b", "only letters"], ["*", "at least one letter"], ["pass**word", "two consecutive"], ["", "only letters"]] as const) {
      const r = makeArgsScrubber(["ok_word", word])
      assert.isTrue(Either.isLeft(r), word)
      if (Either.isLeft(r)) {
        assert.strictEqual(r.left.word, word)
        assert.include(r.left.message, rule)
      }
    }
  })
})
