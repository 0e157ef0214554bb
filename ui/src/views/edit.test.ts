import { describe, expect, it } from "vitest";

import { fieldsOf, textOf, valueOf } from "./edit";

describe("the check form", () => {
  const fields = fieldsOf(
    {
      properties: {
        port: { type: ["integer", "null"], description: "The port." },
        verify_tls: { type: ["boolean", "null"] },
        expect: { type: ["array", "null"], items: { type: "string" } },
        headers: { type: ["object", "null"], additionalProperties: { type: "string" } },
        breaker: { $ref: "#/$defs/RawBreaker" },
        url: { type: ["string", "null"] },
      },
    },
    ["url"],
  );
  const field = (key: string) => fields.find((f) => f.key === key)!;

  it("types each key in as its schema says, and marks what is required", () => {
    expect(fields.map((f) => [f.key, f.input, f.required])).toEqual([
      ["port", "number", false],
      ["verify_tls", "boolean", false],
      ["expect", "lines", false],
      ["headers", "pairs", false],
      ["breaker", "json", false],
      ["url", "text", true],
    ]);
    expect(field("port").help).toBe("The port.");
  });

  it("sends what was typed as the core's JSON, and an empty field not at all", () => {
    expect(valueOf(field("port"), " 5432 ")).toBe(5432);
    expect(valueOf(field("port"), "ssh")).toBe("ssh"); // for the compiler to say why
    expect(valueOf(field("verify_tls"), "false")).toBe(false);
    expect(valueOf(field("expect"), "status == 200\n\n latency < 1s ")).toEqual(["status == 200", "latency < 1s"]);
    expect(valueOf(field("headers"), "Accept: text/plain\nX-A: b:c")).toEqual({ Accept: "text/plain", "X-A": "b:c" });
    expect(valueOf(field("breaker"), '{"enabled": false}')).toEqual({ enabled: false });
    expect(valueOf(field("url"), "   ")).toBeUndefined();
  });

  it("fills a field from the file's value and back again", () => {
    for (const [key, value] of [
      ["port", 22],
      ["expect", ["status == 200", "body contains \"ok\""]],
      ["headers", { Accept: "json" }],
      ["breaker", { failure_threshold: 5 }],
    ] as const) {
      expect(valueOf(field(key), textOf(field(key), value))).toEqual(value);
    }
    expect(textOf(field("url"), undefined)).toBe("");
  });
});
