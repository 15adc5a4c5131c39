package chat

import (
	"encoding/json"
	"strings"
)

// SlackPrefix starts a command in Slack; DingTalkPrefix in a DingTalk robot chat (in a group,
// people @mention the robot first).
const (
	SlackPrefix    = "/offsets "
	DingTalkPrefix = ""
)

// Slack action ids of the plan buttons; the block_actions payload names the pressed one.
const (
	ActionApply  = "offsetreset.apply"
	ActionCancel = "offsetreset.cancel"
)

// SlackMessage is a slash-command response or a response_url message (Block Kit).
type SlackMessage struct {
	ResponseType string       `json:"response_type,omitempty"`
	Text         string       `json:"text"`
	Blocks       []SlackBlock `json:"blocks,omitempty"`
	// ReplaceOriginal (response_url only) replaces the message whose button was pressed.
	ReplaceOriginal bool `json:"replace_original,omitempty"`
}

// SlackBlock is a section, context or actions block.
type SlackBlock struct {
	Type     string         `json:"type"`
	BlockID  string         `json:"block_id,omitempty"`
	Text     *SlackText     `json:"text,omitempty"`
	Elements []SlackElement `json:"elements,omitempty"`
}

// SlackText is a text object (mrkdwn or plain_text).
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// SlackElement is an element of a context block (a mrkdwn text) or of an actions block (a
// button: Text is its label, Value what the press sends back).
type SlackElement struct {
	Type     string
	Text     string
	ActionID string
	Value    string
	Style    string
}

type slackButton struct {
	Type     string    `json:"type"`
	Text     SlackText `json:"text"`
	ActionID string    `json:"action_id"`
	Value    string    `json:"value,omitempty"`
	Style    string    `json:"style,omitempty"`
}

// MarshalJSON writes the element in Block Kit's shape: a button's label is a plain_text object.
func (e SlackElement) MarshalJSON() ([]byte, error) {
	if e.Type == "button" {
		return json.Marshal(slackButton{Type: e.Type, Text: SlackText{Type: "plain_text", Text: e.Text}, ActionID: e.ActionID, Value: e.Value, Style: e.Style})
	}
	return json.Marshal(SlackText{Type: e.Type, Text: e.Text})
}

// UnmarshalJSON reads both shapes back.
func (e *SlackElement) UnmarshalJSON(b []byte) error {
	var v struct {
		Type     string          `json:"type"`
		Text     json.RawMessage `json:"text"`
		ActionID string          `json:"action_id"`
		Value    string          `json:"value"`
		Style    string          `json:"style"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = SlackElement{Type: v.Type, ActionID: v.ActionID, Value: v.Value, Style: v.Style}
	var label SlackText
	if json.Unmarshal(v.Text, &label) == nil && label.Type != "" {
		e.Text = label.Text
		return nil
	}
	return json.Unmarshal(v.Text, &e.Text)
}

// Slack's limits: a section's text, and a button's value (the confirm token rides in it).
const (
	slackMaxSection = 3000
	SlackMaxValue   = 2000
)

// SlackEscape escapes the three characters Slack's mrkdwn reserves.
func SlackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Slack renders the reply for Slack. A plan whose token fits a button carries Apply and Cancel
// buttons (their value is the token) instead of the typed confirm; applied resets are posted in
// the channel, so the team sees them; plans, status and errors only to the person who asked.
func (r Reply) Slack() SlackMessage {
	msg := SlackMessage{ResponseType: "ephemeral", Text: SlackEscape(r.Headline())}
	if r.Kind == KindApplied {
		msg.ResponseType = "in_channel"
	}
	buttons := r.Kind == KindPlan && r.Token != "" && len(r.Token) <= SlackMaxValue
	section := func(text string) {
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: text}})
	}
	section("*" + slackLine(r.headline(true)) + "*")
	if t := r.Table(); t != "" {
		section("```\n" + SlackEscape(t) + "\n```")
	}
	var next []string
	for _, line := range r.next(SlackPrefix, buttons) {
		if strings.HasPrefix(line, SlackPrefix) {
			line = "`" + SlackEscape(line) + "`"
		} else {
			line = SlackEscape(line)
		}
		next = append(next, line)
	}
	if len(next) > 0 {
		section(strings.Join(next, "\n"))
	}
	if buttons {
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "actions", BlockID: "offsetreset.plan", Elements: []SlackElement{
			{Type: "button", Text: "Apply", ActionID: ActionApply, Value: r.Token, Style: "primary"},
			{Type: "button", Text: "Cancel", ActionID: ActionCancel, Value: r.Token},
		}})
	}
	if notes := r.Notes(); len(notes) > 0 {
		var els []SlackElement
		for _, n := range notes {
			els = append(els, SlackElement{Type: "mrkdwn", Text: SlackEscape(n)})
		}
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "context", Elements: els})
	}
	// A block over Slack's limit would make Slack drop the whole reply: send plain text instead
	// (with the typed confirm, since the buttons go too).
	for _, b := range msg.Blocks {
		if b.Text != nil && len(b.Text.Text) > slackMaxSection {
			msg.Text = r.Plain(SlackPrefix)
			msg.Blocks = nil
			break
		}
	}
	return msg
}

// slackLine escapes a headline but keeps the user mentions (<@U…>) it was given.
func slackLine(s string) string {
	esc := SlackEscape(s)
	for {
		i := strings.Index(esc, "&lt;@")
		if i < 0 {
			return esc
		}
		j := strings.Index(esc[i:], "&gt;")
		if j < 0 {
			return esc
		}
		esc = esc[:i] + "<@" + esc[i+len("&lt;@"):i+j] + ">" + esc[i+j+len("&gt;"):]
	}
}

// DingTalkMessage is a robot reply of msgtype actionCard.
type DingTalkMessage struct {
	MsgType    string              `json:"msgtype"`
	ActionCard *DingTalkActionCard `json:"actionCard,omitempty"`
}

// DingTalkActionCard is an ActionCard without buttons: DingTalk's outgoing robots cannot receive
// button presses, so the typed confirm stays in the text.
type DingTalkActionCard struct {
	Title          string `json:"title"`
	Text           string `json:"text"`
	BtnOrientation string `json:"btnOrientation"`
}

// Text is the card's markdown ("" for a message without a card).
func (m DingTalkMessage) Text() string {
	if m.ActionCard == nil {
		return ""
	}
	return m.ActionCard.Text
}

// DingTalk renders the reply as an ActionCard with markdown text: the table becomes a list, one
// partition (or group) a line.
func (r Reply) DingTalk() DingTalkMessage {
	var b strings.Builder
	b.WriteString("#### " + r.Headline() + "\n\n")
	res := r.Result
	switch {
	case len(r.Results) > 0:
		for i, g := range r.Results {
			if i == MaxRows {
				b.WriteString("- … and " + itoa(len(r.Results)-MaxRows) + " more groups (" + itoa(len(r.Results)) + " in all)\n")
				break
			}
			b.WriteString("- " + g.Group + ": " + itoa(moving(g)) + " partitions, skip " + size(g.Skipped) + ", " + groupStatus(g) + "\n")
		}
		b.WriteString("\n")
	case res != nil && len(res.Partitions) > 0 && r.Kind != KindError:
		for i, p := range res.Partitions {
			if i == MaxRows {
				b.WriteString("- … and " + itoa(len(res.Partitions)-MaxRows) + " more partitions (" + itoa(len(res.Partitions)) + " in all)\n")
				break
			}
			if r.Kind == KindStatus {
				b.WriteString("- " + p.Topic + "/" + part(p.Partition) + ": committed " + opt(p.Before) + ", end " + opt(p.LogEnd) + ", lag **" + size(p.Lag) + "**\n")
				continue
			}
			line := "- " + p.Topic + "/" + part(p.Partition) + ": " + opt(p.Before) + " → " + opt(p.After) + " (skip " + size(p.Skipped) + ") " + string(p.Status)
			if p.Error != "" {
				line += ": " + trunc(p.Error, 80)
			}
			b.WriteString(line + "\n")
		}
		b.WriteString("\n")
	}
	for _, line := range r.Next(DingTalkPrefix) {
		b.WriteString(line + "\n\n")
	}
	for _, n := range r.Notes() {
		b.WriteString("> " + n + "\n\n")
	}
	title := "offsetreset"
	switch {
	case len(r.Results) > 0:
		title = "offsetreset: " + itoa(len(r.Results)) + " groups"
	case res != nil && res.Group != "":
		title = "offsetreset: " + res.Group
	}
	return DingTalkMessage{MsgType: "actionCard", ActionCard: &DingTalkActionCard{Title: title, Text: strings.TrimRight(b.String(), "\n") + "\n", BtnOrientation: "0"}}
}
