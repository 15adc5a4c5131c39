package slack

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"

	"offsetreset/shared/trigger/alert"
)

// Action is a button press: the block_actions interaction payload Slack sends (signed like
// every Slack request) to the app's interactivity request URL, as the form field payload.
type Action struct {
	TeamID    string
	UserID    string
	ChannelID string
	// ActionID names the pressed button, Value is what the button carried.
	ActionID string
	Value    string
	// ResponseURL updates the message that holds the button (replace_original).
	ResponseURL string
	TriggerID   string
}

// interaction is the part of Slack's interaction payload that offsetreset reads.
type interaction struct {
	Type string `json:"type"`
	User struct {
		ID     string `json:"id"`
		TeamID string `json:"team_id"`
	} `json:"user"`
	Team struct {
		ID string `json:"id"`
	} `json:"team"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Container struct {
		ChannelID string `json:"channel_id"`
	} `json:"container"`
	TriggerID   string `json:"trigger_id"`
	ResponseURL string `json:"response_url"`
	Actions     []struct {
		ActionID string `json:"action_id"`
		BlockID  string `json:"block_id"`
		Type     string `json:"type"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// IsInteraction reports whether a signed form body is an interaction (a payload field) rather
// than a slash command; both arrive on the same route.
func IsInteraction(body []byte) bool {
	if n := bytes.Count(body, []byte("&")) + 1; n > MaxFormFields {
		return false
	}
	form, err := url.ParseQuery(string(body))
	return err == nil && form.Has("payload")
}

// DecodeAction reads a block_actions interaction with one button press.
func DecodeAction(body []byte) (Action, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Action{}, fmt.Errorf("the request body is not form-encoded (%v); Slack sends interactions as a payload form field", err)
	}
	var in interaction
	if err := alert.DecodeJSON([]byte(form.Get("payload")), &in); err != nil {
		return Action{}, fmt.Errorf("the payload field: %v", err)
	}
	if in.Type != "block_actions" {
		return Action{}, fmt.Errorf("interaction type %q is not handled; offsetreset only has buttons (block_actions)", trunc(in.Type, 40))
	}
	if len(in.Actions) != 1 {
		return Action{}, fmt.Errorf("the interaction carries %d actions; a button press carries one", len(in.Actions))
	}
	a := Action{TeamID: in.Team.ID, UserID: in.User.ID, ChannelID: in.Channel.ID, ActionID: in.Actions[0].ActionID,
		Value: in.Actions[0].Value, ResponseURL: in.ResponseURL, TriggerID: in.TriggerID}
	if a.TeamID == "" {
		a.TeamID = in.User.TeamID
	}
	if a.ChannelID == "" {
		a.ChannelID = in.Container.ChannelID
	}
	if a.UserID == "" {
		return Action{}, errors.New("the interaction has no user id; this route takes Slack button presses")
	}
	if err := checkUserID(a.UserID); err != nil {
		return Action{}, err
	}
	return a, nil
}

// checkUserID refuses a user id with characters no Slack id has (it becomes a principal).
func checkUserID(id string) error {
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("user_id %q is not a Slack user id", trunc(id, 40))
		}
	}
	return nil
}
