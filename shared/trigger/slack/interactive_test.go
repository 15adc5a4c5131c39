package slack

import (
	"encoding/json"
	"net/url"
	"testing"
)

func interactionBody(payload map[string]any) []byte {
	b, _ := json.Marshal(payload)
	return []byte(url.Values{"payload": {string(b)}}.Encode())
}

// A button press is Slack's block_actions payload in the payload form field; anything else on
// the route is a slash command, and a payload that is not one button press is refused.
func TestDecodeAction(t *testing.T) {
	press := map[string]any{"type": "block_actions", "user": map[string]any{"id": "U2147483697", "team_id": "T0001ABCD"},
		"container": map[string]any{"type": "message", "channel_id": "C2147483705", "is_ephemeral": true}, "trigger_id": "1.2.3",
		"response_url": "https://hooks.slack.com/actions/T0001ABCD/1/x",
		"actions":      []any{map[string]any{"action_id": "offsetreset.apply", "block_id": "b", "type": "button", "value": "tok.sig"}}}
	body := interactionBody(press)
	if !IsInteraction(body) || IsInteraction([]byte("command=%2Foffsets&user_id=U1&text=plan")) {
		t.Fatal("IsInteraction")
	}
	a, err := DecodeAction(body)
	if err != nil || a != (Action{TeamID: "T0001ABCD", UserID: "U2147483697", ChannelID: "C2147483705", ActionID: "offsetreset.apply", Value: "tok.sig",
		ResponseURL: "https://hooks.slack.com/actions/T0001ABCD/1/x", TriggerID: "1.2.3"}) {
		t.Fatalf("%+v %v", a, err)
	}
	for name, c := range map[string]struct {
		edit func(map[string]any)
		want string
	}{
		"view submission": {func(p map[string]any) { p["type"] = "view_submission" }, `interaction type "view_submission" is not handled; offsetreset only has buttons (block_actions)`},
		"two actions":     {func(p map[string]any) { p["actions"] = []any{map[string]any{}, map[string]any{}} }, "the interaction carries 2 actions; a button press carries one"},
		"no user":         {func(p map[string]any) { p["user"] = map[string]any{} }, "the interaction has no user id; this route takes Slack button presses"},
		"odd user":        {func(p map[string]any) { p["user"] = map[string]any{"id": "U1/../x"} }, `user_id "U1/../x" is not a Slack user id`},
	} {
		p := map[string]any{}
		for k, v := range press {
			p[k] = v
		}
		c.edit(p)
		if _, err := DecodeAction(interactionBody(p)); err == nil || err.Error() != c.want {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := DecodeAction([]byte("payload=%7Bnot+json")); err == nil {
		t.Fatal("a payload that is not JSON was read")
	}
}

func FuzzDecodeAction(f *testing.F) {
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%7D"))
	f.Add(interactionBody(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"}, "actions": []any{map[string]any{"value": "x"}}}))
	f.Fuzz(func(t *testing.T, body []byte) {
		if a, err := DecodeAction(body); err == nil && (a.UserID == "" || checkUserID(a.UserID) != nil) {
			t.Fatalf("%+v", a)
		}
	})
}
