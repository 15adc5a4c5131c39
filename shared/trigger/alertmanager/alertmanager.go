// Package alertmanager decodes Prometheus Alertmanager webhook payloads (version 4): one POST
// carries a group of alerts, each firing or resolved.
package alertmanager

import (
	"errors"
	"fmt"
	"strings"

	"offsetreset/shared/trigger/alert"
)

// Payload is the webhook body (prometheus/alertmanager notify/webhook).
type Payload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of the group. Grafana adds fields of its own, which are ignored here.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// MaxAlerts bounds the alerts of one webhook.
const MaxAlerts = 1000

// Decode reads an Alertmanager webhook body.
func Decode(body []byte) ([]alert.Alert, error) { return DecodeAs("alertmanager", body) }

// DecodeAs reads an Alertmanager-shaped body (also Grafana's) and labels the alerts with source.
func DecodeAs(source string, body []byte) ([]alert.Alert, error) {
	var p Payload
	if err := alert.DecodeJSON(body, &p); err != nil {
		return nil, err
	}
	if p.Alerts == nil {
		return nil, errors.New("the body has no alerts array; this route takes the webhook payload of Alertmanager (version 4) or Grafana")
	}
	if len(p.Alerts) > MaxAlerts {
		return nil, fmt.Errorf("the webhook carries %d alerts, more than the %d accepted; lower max_alerts of the receiver", len(p.Alerts), MaxAlerts)
	}
	out := make([]alert.Alert, 0, len(p.Alerts))
	for _, a := range p.Alerts {
		labels := map[string]string{}
		for k, v := range p.CommonLabels {
			labels[k] = v
		}
		for k, v := range a.Labels {
			labels[k] = v
		}
		state := a.Status
		if state == "" {
			state = p.Status
		}
		fields := map[string]string{}
		if p.Receiver != "" {
			fields["receiver"] = p.Receiver
		}
		out = append(out, alert.Alert{
			Source: source,
			Name:   labels["alertname"],
			Firing: strings.EqualFold(state, "firing"),
			State:  state,
			Labels: labels,
			Fields: fields,
			ID:     a.Fingerprint,
		})
	}
	return out, nil
}
