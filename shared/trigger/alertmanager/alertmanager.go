// Package alertmanager decodes Prometheus Alertmanager webhook payloads (version 4): one POST
// carries a group of alerts, each firing or resolved.
//
// Decoding costs time and memory linear in the body, whatever its shape: a webhook carries at
// most MaxAlerts alerts and every label set at most alert.MaxLabels labels (both are counted
// before anything is decoded), fields no rule reads (annotations, groupLabels, Grafana's values)
// are skipped, and commonLabels is one map that every alert shares (alert.Alert.Common) instead
// of a copy per alert.
package alertmanager

import (
	"errors"
	"fmt"
	"strings"

	"offsetreset/shared/trigger/alert"
)

// Payload is the part of the webhook body (prometheus/alertmanager notify/webhook) that is read.
// The rest (version, groupKey, truncatedAlerts, groupLabels, commonAnnotations, externalURL, and
// each alert's annotations, endsAt and generatorURL) is skipped without being decoded.
type Payload struct {
	Status       string         `json:"status"`
	Receiver     string         `json:"receiver"`
	CommonLabels alert.LabelSet `json:"commonLabels"`
	Alerts       Alerts         `json:"alerts"`
}

// Alert is one alert of the group. Grafana adds fields of its own, which are skipped too.
type Alert struct {
	Status      string         `json:"status"`
	Labels      alert.LabelSet `json:"labels"`
	StartsAt    string         `json:"startsAt"`
	Fingerprint string         `json:"fingerprint"`
}

// MaxAlerts bounds the alerts of one webhook.
const MaxAlerts = 1000

// Alerts is the alerts array, refused before decoding when it has more than MaxAlerts elements.
type Alerts []Alert

// UnmarshalJSON counts the alerts first, then decodes them.
func (l *Alerts) UnmarshalJSON(raw []byte) error {
	var list []Alert
	err := alert.DecodeList(raw, MaxAlerts, &list, func(n int) string {
		return fmt.Sprintf("the webhook carries %d alerts, more than the %d accepted; lower max_alerts of the receiver", n, MaxAlerts)
	})
	if err != nil {
		return err
	}
	if list == nil && strings.TrimSpace(string(raw)) != "null" {
		list = []Alert{}
	}
	*l = list
	return nil
}

// Decode reads an Alertmanager webhook body.
func Decode(body []byte) ([]alert.Alert, error) { return DecodeAs("alertmanager", body) }

// DecodeAs reads an Alertmanager-shaped body (also Grafana's) and labels the alerts with source.
//
// Each alert's Key is its fingerprint + "@" + startsAt (RFC 3339, UTC; alert.KeyTime): the
// fingerprint is the hash of the alert's label set, and startsAt when it began firing, so a
// retried webhook and both peers of an Alertmanager HA pair give the same Key, and an alert that
// resolves and fires again gets a new one. A still-firing alert notified again
// (repeat_interval) keeps its Key: which repeats count as the same delivery is the caller's
// window. Without a fingerprint the Key is "" (Alertmanager and Grafana always send one).
func DecodeAs(source string, body []byte) ([]alert.Alert, error) {
	var p Payload
	if err := alert.DecodeJSON(body, &p); err != nil {
		return nil, err
	}
	if p.Alerts == nil {
		return nil, errors.New("the body has no alerts array; this route takes the webhook payload of Alertmanager (version 4) or Grafana")
	}
	var fields map[string]string
	if p.Receiver != "" {
		fields = map[string]string{"receiver": p.Receiver} // shared, like Common: read-only
	}
	var common map[string]string
	if len(p.CommonLabels) > 0 {
		common = p.CommonLabels
	}
	out := make([]alert.Alert, 0, len(p.Alerts))
	for _, a := range p.Alerts {
		state := a.Status
		if state == "" {
			state = p.Status
		}
		al := alert.Alert{
			Source: source,
			Firing: strings.EqualFold(state, "firing"),
			State:  state,
			Labels: a.Labels,
			Common: common,
			Fields: fields,
			ID:     a.Fingerprint,
		}
		al.Name, _ = al.Label("alertname")
		if a.Fingerprint != "" {
			al.Key = alert.BoundKey(a.Fingerprint + "@" + alert.KeyTime(a.StartsAt))
		}
		out = append(out, al)
	}
	return out, nil
}
