package chat

import (
	"strconv"
	"strings"
)

// SlackPrefix starts a command in Slack; DingTalkPrefix in a DingTalk robot chat (in a group,
// people @mention the robot first).
const (
	SlackPrefix    = "/offsets "
	DingTalkPrefix = ""
)

// SlackMessage is a slash-command response (Block Kit).
type SlackMessage struct {
	ResponseType string       `json:"response_type"`
	Text         string       `json:"text"`
	Blocks       []SlackBlock `json:"blocks,omitempty"`
}

// SlackBlock is a section or context block.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a mrkdwn text object.
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackMaxSection is Slack's limit on a section's text.
const slackMaxSection = 3000

// SlackEscape escapes the three characters Slack's mrkdwn reserves.
func SlackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Slack renders the reply for a slash command. Applied resets are posted in the channel, so the
// team sees them; plans, status and errors only to the person who asked.
func (r Reply) Slack() SlackMessage {
	msg := SlackMessage{ResponseType: "ephemeral", Text: SlackEscape(r.Headline())}
	if r.Kind == KindApplied {
		msg.ResponseType = "in_channel"
	}
	section := func(text string) {
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: text}})
	}
	section("*" + SlackEscape(r.Headline()) + "*")
	if t := r.Table(); t != "" {
		section("```\n" + SlackEscape(t) + "\n```")
	}
	var next []string
	for _, line := range r.Next(SlackPrefix) {
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
	if notes := r.Notes(); len(notes) > 0 {
		var els []SlackText
		for _, n := range notes {
			els = append(els, SlackText{Type: "mrkdwn", Text: SlackEscape(n)})
		}
		msg.Blocks = append(msg.Blocks, SlackBlock{Type: "context", Elements: els})
	}
	// A block over Slack's limit would make Slack drop the whole reply: send plain text instead.
	for _, b := range msg.Blocks {
		if b.Text != nil && len(b.Text.Text) > slackMaxSection {
			msg.Text = r.plain(SlackPrefix)
			msg.Blocks = nil
			break
		}
	}
	return msg
}

// plain is the whole reply as text.
func (r Reply) plain(prefix string) string {
	parts := []string{r.Headline()}
	if t := r.Table(); t != "" {
		parts = append(parts, t)
	}
	parts = append(parts, r.Next(prefix)...)
	parts = append(parts, r.Notes()...)
	return strings.Join(parts, "\n")
}

// DingTalkMessage is a robot reply of msgtype markdown.
type DingTalkMessage struct {
	MsgType  string           `json:"msgtype"`
	Markdown DingTalkMarkdown `json:"markdown"`
}

// DingTalkMarkdown is the markdown body; DingTalk renders a subset (headings, lists, bold).
type DingTalkMarkdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// DingTalk renders the reply as DingTalk markdown: the table becomes a list, one partition a line.
func (r Reply) DingTalk() DingTalkMessage {
	var b strings.Builder
	b.WriteString("#### " + r.Headline() + "\n\n")
	if res := r.Result; res != nil && len(res.Partitions) > 0 && r.Kind != KindError {
		for i, p := range res.Partitions {
			if i == MaxRows {
				b.WriteString("- … and " + itoa(len(res.Partitions)-MaxRows) + " more partitions (" + itoa(len(res.Partitions)) + " in all)\n")
				break
			}
			if r.Kind == KindStatus {
				b.WriteString("- " + p.Topic + "/" + part(p.Partition) + ": committed " + opt(p.Before) + ", end " + opt(p.LogEnd) + ", lag **" + opt(p.Lag) + "**\n")
				continue
			}
			line := "- " + p.Topic + "/" + part(p.Partition) + ": " + opt(p.Before) + " → " + opt(p.After) + " (skip " + opt(p.Skipped) + ") " + string(p.Status)
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
	if r.Result != nil && r.Result.Group != "" {
		title = "offsetreset: " + r.Result.Group
	}
	return DingTalkMessage{MsgType: "markdown", Markdown: DingTalkMarkdown{Title: title, Text: strings.TrimRight(b.String(), "\n") + "\n"}}
}

func itoa(n int) string { return strconv.Itoa(n) }
