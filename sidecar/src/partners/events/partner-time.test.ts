import { describe, expect, it } from "vitest";
import { parsePartnerTime, partnerDateTime } from "./partner-time.ts";

describe("partner timestamps are read leniently and kept raw", () => {
  it.each([
    ["offset without colon (dnas)", "2021-02-23T09:15:50-0600", { kind: "instant", utc: "2021-02-23T15:15:50Z", offset: "-06:00" }],
    ["offset with colon", "2000-10-12T18:41:29-08:00", { kind: "instant", utc: "2000-10-13T02:41:29Z", offset: "-08:00" }],
    ["Z with milliseconds", "2020-03-11T07:44:06.471Z", { kind: "instant", utc: "2020-03-11T07:44:06.471Z", offset: "Z" }],
    ["hour-only offset", "2026-01-01T10:00:00+01", { kind: "instant", utc: "2026-01-01T09:00:00Z", offset: "+01:00" }],
    ["no zone stays local (no UTC invented)", "2021-07-08T09:15:50", { kind: "local", utc: null, local: "2021-07-08T09:15:50" }],
    ["date only", "2012-07-03", { kind: "date", utc: null, local: "2012-07-03" }],
    ["year 0021 as written", "0021-02-01", { kind: "date", local: "0021-02-01" }],
    ["year 0021 instant keeps the year", "0021-02-01T00:00:00Z", { kind: "instant", utc: "0021-02-01T00:00:00Z" }],
    ["space instead of T, minutes only", "2026-12-03 08:00", { kind: "local", local: "2026-12-03T08:00:00" }],
  ])("%s: %s", (_name, raw, expected) => {
    const parsed = parsePartnerTime(raw);
    expect(parsed).toMatchObject({ raw, ...expected });
  });

  it.each(["", "yesterday", "2021-02-30", "2021-13-01", "2021-01-01T25:00:00", "2021-01-01T10:00:00+15:00", "20210101"])("refuses %j", (raw) => {
    expect(parsePartnerTime(raw)).toBeNull();
  });

  it("joins UBL date and time elements, with or without zone", () => {
    expect(partnerDateTime("2013-07-15", "12:30:00")).toMatchObject({ kind: "local", local: "2013-07-15T12:30:00" });
    expect(partnerDateTime("2026-11-27", "08:15:00+01:00")).toMatchObject({ kind: "instant", utc: "2026-11-27T07:15:00Z" });
    expect(partnerDateTime("2013-07-15", undefined)).toMatchObject({ kind: "date" });
  });
});
