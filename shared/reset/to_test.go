package reset

import (
	"strings"
	"testing"
	"time"
)

func TestParseToForms(t *testing.T) {
	cst := time.FixedZone("", 8*3600)
	cases := []struct {
		in   string
		want To
	}{
		{"latest", To{Form: FormLatest}},
		{" LATEST ", To{Form: FormLatest}},
		{"earliest", To{Form: FormEarliest}},
		{"offset:0", To{Form: FormOffset, N: 0}},
		{"offset:1200", To{Form: FormOffset, N: 1200}},
		{"shift:+500", To{Form: FormShift, N: 500}},
		{"shift:-500", To{Form: FormShift, N: -500}},
		{"time:2026-05-01T02:00:00+08:00", To{Form: FormTime, At: time.Date(2026, 5, 1, 2, 0, 0, 0, cst)}},
		{"time:2026-04-30T18:00:00Z", To{Form: FormTime, At: time.Date(2026, 4, 30, 18, 0, 0, 0, time.UTC)}},
		{"time:1777572000000", To{Form: FormTime, At: time.Date(2026, 4, 30, 18, 0, 0, 0, time.UTC)}},
		{"ago:90s", To{Form: FormAgo, Ago: 90 * time.Second}},
		{"ago:15m", To{Form: FormAgo, Ago: 15 * time.Minute}},
		{"ago:1d", To{Form: FormAgo, Ago: 24 * time.Hour}},
		{"ago:1d12h", To{Form: FormAgo, Ago: 36 * time.Hour}},
	}
	for _, c := range cases {
		got, err := ParseTo(c.in)
		if err != nil {
			t.Errorf("ParseTo(%q): %v", c.in, err)
			continue
		}
		if got.Form != c.want.Form || got.N != c.want.N || got.Ago != c.want.Ago || !got.At.Equal(c.want.At) {
			t.Errorf("ParseTo(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestParseToErrors(t *testing.T) {
	cases := map[string]string{
		"":                              "to is empty; use latest, earliest, offset:N, shift:+N, shift:-N, time:<RFC 3339 with zone or Unix ms>, ago:<duration such as 15m, 2h or 1d>, group:NAME or current",
		"newest":                        `to "newest" is not a target; use latest, earliest, offset:N, shift:+N, shift:-N, time:T, ago:D, group:NAME or current`,
		"time:1969-12-31T23:59:59.999Z": `to "time:1969-12-31T23:59:59.999Z": the time "1969-12-31T23:59:59.999Z" is before 1970-01-01T00:00:00Z, older than any message can be; use earliest for the start of the log`,
		"group:":                        `to "group:": name the group to copy from, such as group:billing`,
		"teleport:5":                    `to "teleport:5": unknown form "teleport"; use latest, earliest, offset:N, shift:±N, time:T, ago:D, group:NAME or current`,
		"offset:abc":                    `to "offset:abc": the offset must be a whole number such as offset:1200`,
		"offset:-1":                     `to "offset:-1": offsets are never negative; use earliest for the start of the log or shift:-N to move back`,
		"shift:5":                       `to "shift:5": a shift needs a sign, such as shift:+500 (skip ahead) or shift:-500 (re-read)`,
		"shift:+x":                      `to "shift:+x": the shift must be a signed whole number such as shift:-500`,
		"time:2026-05-01T02:00:00":      `to "time:2026-05-01T02:00:00": the time "2026-05-01T02:00:00" has no zone; add one, e.g. 2026-05-01T02:00:00Z for UTC or 2026-05-01T02:00:00+08:00 for China Standard Time`,
		"time:2026-05-01":               `to "time:2026-05-01": the time "2026-05-01" has no zone; add one, e.g. 2026-05-01T00:00:00Z for UTC or 2026-05-01T00:00:00+08:00 for China Standard Time`,
		"time:2026-05-01 02:00":         `to "time:2026-05-01 02:00": the time "2026-05-01 02:00" has no zone; add one, e.g. 2026-05-01T02:00:00Z for UTC or 2026-05-01T02:00:00+08:00 for China Standard Time`,
		"time:1777572000":               `to "time:1777572000": "1777572000" does not look like Unix milliseconds (expected 12 to 14 digits, e.g. 1777572000000); seconds are not accepted`,
		"time:yesterday":                `to "time:yesterday": the time "yesterday" is not RFC 3339 with a zone (2026-05-01T02:00:00+08:00) nor Unix milliseconds`,
		"ago:0s":                        `to "ago:0s": the duration "0s" must be greater than zero`,
		"ago:-5m":                       `to "ago:-5m": the duration "-5m" must be greater than zero`,
		"ago:5 minutes":                 `to "ago:5 minutes": the duration "5 minutes" is not valid; write it like 90s, 15m, 2h, 1d or 1d12h`,
		"ago:4000d":                     `to "ago:4000d": the duration "4000d" is not valid; write it like 90s, 15m, 2h, 1d or 1d12h`,
		"ago:3650d1h":                   `to "ago:3650d1h": the duration "3650d1h" is more than ten years; use time:T for an absolute point`,
	}
	for in, want := range cases {
		_, err := ParseTo(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseTo(%q) error = %v\nwant %s", in, err, want)
		}
	}
}

func TestAgoMillis(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to, _ := ParseTo("ago:1d")
	if got := to.Millis(now); got != now.Add(-24*time.Hour).UnixMilli() {
		t.Fatalf("Millis = %d", got)
	}
}

func TestDecodeCommands(t *testing.T) {
	cmds, many, err := DecodeCommands([]byte(`{"target":"t","group":"g","topics":["a"],"partitions":[0,2],"to":"latest","dryRun":true,"reason":"r"}`))
	if err != nil || many || len(cmds) != 1 || !cmds[0].DryRun || len(cmds[0].Partitions) != 2 {
		t.Fatalf("%+v %v %v", cmds, many, err)
	}
	cmds, many, err = DecodeCommands([]byte(` [{"target":"t","group":"g","to":"latest"},{"target":"t","group":"h","to":"earliest"}] `))
	if err != nil || !many || len(cmds) != 2 || cmds[1].Group != "h" {
		t.Fatalf("%+v %v %v", cmds, many, err)
	}
	const notObject = `the body must be a JSON object or an array of objects, e.g. {"target":"prod","group":"billing","to":"latest","dryRun":true}`
	bad := map[string]string{
		``:                             `the request body is empty; send a command as JSON, e.g. {"target":"prod","group":"billing","to":"latest","dryRun":true}`,
		`hello`:                        notObject,
		`null`:                         notObject,
		`42`:                           notObject,
		`"x"`:                          notObject,
		`[1]`:                          notObject,
		`{"target":`:                   "the request body ends in the middle of the JSON; send the whole command",
		`{"target":"t",}`:              "the request body is not valid JSON (at byte 15: invalid character '}' looking for beginning of object key string); fix the JSON and resend",
		`{"dry_run":true}`:             `unknown field "dry_run"; the fields are target, group, groups, topics, partitions, to, offsets, dryRun, reason and createGroup`,
		`{"partitions":"0"}`:           `field "partitions" has the wrong type (string, expected []int32)`,
		`{"to":"latest"} {}`:           "the request body has data after the JSON value; send exactly one object or array",
		`[]`:                           "the command array is empty; send at least one command",
		`{"partitions":[99999999999]}`: `field "partitions" has the wrong type (number 99999999999, expected int32)`,
	}
	for in, want := range bad {
		_, _, err := DecodeCommands([]byte(in))
		if err == nil || err.Error() != want {
			t.Errorf("DecodeCommands(%q) error = %v\nwant %s", in, err, want)
		}
	}
	many101 := "[" + strings.Repeat(`{"to":"latest"},`, 100) + `{"to":"latest"}]`
	if _, _, err := DecodeCommands([]byte(many101)); err == nil || err.Error() != "101 commands in one request is more than the 100 allowed; split the request" {
		t.Errorf("101 commands: %v", err)
	}
}

func FuzzParseTo(f *testing.F) {
	for _, s := range []string{"latest", "offset:5", "shift:-3", "time:2026-05-01T02:00:00+08:00", "time:1777572000000", "ago:1d12h", "ago:", "time:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		to, err := ParseTo(s)
		if err != nil {
			return
		}
		again, err := ParseTo(to.String())
		if err != nil || again.Form != to.Form || again.N != to.N || again.Ago != to.Ago || !again.At.Equal(to.At) {
			t.Fatalf("%q parsed to %+v, whose String %q does not parse back (%v)", s, to, to.String(), err)
		}
	})
}

func FuzzDecodeCommands(f *testing.F) {
	for _, s := range []string{`{"target":"t","group":"g","to":"latest"}`, `[{"target":"t","group":"g","topics":["a"],"partitions":[1],"to":"shift:-5"}]`, `{"to":`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cmds, _, err := DecodeCommands(b)
		if err != nil {
			return
		}
		for _, c := range cmds {
			c.Validate()
		}
	})
}
