// Package cloudwatch decodes AWS CloudWatch alarms as Lambda receives them: SNS records whose
// Message is the alarm JSON, and EventBridge "CloudWatch Alarm State Change" events. Rules match
// the alarm name as AlarmName (SNS) or alarmName (EventBridge) alike; metric dimensions (a list in
// SNS, a map in EventBridge) become labels, so MSK's "Consumer Group" and "Topic" name the group
// and topic.
//
// Decoding costs time and memory linear in the event: the records of an SNS event are counted
// before they are decoded (at most MaxRecords), and an alarm or an EventBridge event with more
// than MaxValues JSON values is refused before it is decoded.
//
// An alert's Key is the alarm ARN (the alarm name when there is none) + "@" + the time of the
// state change (RFC 3339, UTC; alert.KeyTime): StateChangeTime in SNS, detail.state.timestamp in
// EventBridge. SNS and EventBridge retries of one state change, and the same state change
// delivered both ways, give the same Key; the next state change of the alarm a new one.
package cloudwatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"offsetreset/shared/trigger/alert"
)

// Kind of a Lambda event, as far as this package is concerned.
const (
	KindSNS         = "sns"
	KindEventBridge = "eventbridge"
)

// DetailType is the EventBridge detail-type of alarm state changes.
const DetailType = "CloudWatch Alarm State Change"

// firstRecord reads the EventSource of the first element of Records, and nothing else.
type firstRecord struct{ eventSource string }

func (f *firstRecord) UnmarshalJSON(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') || !dec.More() {
		return nil
	}
	var first struct {
		EventSource string `json:"EventSource"`
	}
	if dec.Decode(&first) == nil {
		f.eventSource = first.EventSource
	}
	return nil
}

// Detect says whether a raw Lambda event is an SNS event or an EventBridge CloudWatch alarm
// event; "" for anything else. It decodes only the first record.
func Detect(raw []byte) string {
	var probe struct {
		Records    firstRecord `json:"Records"`
		Source     string      `json:"source"`
		DetailType string      `json:"detail-type"`
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &probe) != nil {
		return ""
	}
	if probe.Records.eventSource == "aws:sns" {
		return KindSNS
	}
	if probe.Source == "aws.cloudwatch" && probe.DetailType == DetailType {
		return KindEventBridge
	}
	return ""
}

// Decode reads an SNS event or an EventBridge alarm event into alerts.
func Decode(raw []byte) ([]alert.Alert, error) {
	switch Detect(raw) {
	case KindSNS:
		return DecodeSNS(raw)
	case KindEventBridge:
		a, err := DecodeEventBridge(raw)
		if err != nil {
			return nil, err
		}
		return []alert.Alert{a}, nil
	}
	return nil, errors.New("the event is neither an SNS event nor an EventBridge CloudWatch Alarm State Change")
}

type snsEvent struct {
	Records snsRecords `json:"Records"`
}

type snsRecord struct {
	EventSource string `json:"EventSource"`
	Sns         struct {
		MessageID string `json:"MessageId"`
		Type      string `json:"Type"`
		TopicArn  string `json:"TopicArn"`
		Subject   string `json:"Subject"`
		Message   string `json:"Message"`
	} `json:"Sns"`
}

// snsRecords are counted before they are decoded: at most MaxRecords.
type snsRecords []snsRecord

func (l *snsRecords) UnmarshalJSON(raw []byte) error {
	return alert.DecodeList(raw, MaxRecords, (*[]snsRecord)(l), func(n int) string {
		return fmt.Sprintf("the SNS event has %d records, more than %d", n, MaxRecords)
	})
}

// MaxValues bounds the JSON values (members and elements at any depth) of one alarm message or
// EventBridge event: CloudWatch's have tens.
const MaxValues = 4 * alert.MaxLabels

// tooBig refuses an alarm or event of more than MaxValues values, before it is decoded.
func tooBig(what string, raw []byte) error {
	if n := alert.CountEntries(raw); n > MaxValues {
		return &alert.BodyError{Text: fmt.Sprintf("the %s has %d JSON values, more than the %d accepted; CloudWatch's have tens", what, n, MaxValues)}
	}
	return nil
}

// Alarm is the CloudWatch alarm JSON carried in an SNS message.
type Alarm struct {
	AlarmName        string  `json:"AlarmName"`
	AlarmDescription string  `json:"AlarmDescription"`
	AWSAccountID     string  `json:"AWSAccountId"`
	NewStateValue    string  `json:"NewStateValue"`
	NewStateReason   string  `json:"NewStateReason"`
	StateChangeTime  string  `json:"StateChangeTime"`
	Region           string  `json:"Region"`
	AlarmArn         string  `json:"AlarmArn"`
	OldStateValue    string  `json:"OldStateValue"`
	Trigger          Trigger `json:"Trigger"`
}

// Trigger is the alarm's metric: one metric, or metric-math queries.
type Trigger struct {
	MetricName string       `json:"MetricName"`
	Namespace  string       `json:"Namespace"`
	Statistic  string       `json:"Statistic"`
	Dimensions []Dimension  `json:"Dimensions"`
	Metrics    []MetricMath `json:"Metrics"`
}

// MetricMath is one query of a metric-math alarm.
type MetricMath struct {
	ID         string `json:"Id"`
	MetricStat struct {
		Metric struct {
			MetricName string      `json:"MetricName"`
			Namespace  string      `json:"Namespace"`
			Dimensions []Dimension `json:"Dimensions"`
		} `json:"Metric"`
	} `json:"MetricStat"`
}

// Dimension is one name/value pair of the SNS alarm payload.
type Dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MaxRecords bounds the records of one SNS event.
const MaxRecords = 100

// DecodeSNS reads every record of an SNS event; a record whose message is not a CloudWatch alarm
// is an error (the event is not for this function).
func DecodeSNS(raw []byte) ([]alert.Alert, error) {
	var ev snsEvent
	if err := alert.DecodeJSON(raw, &ev); err != nil {
		return nil, err
	}
	if len(ev.Records) == 0 {
		return nil, errors.New("the SNS event has no records")
	}
	if len(ev.Records) > MaxRecords {
		return nil, fmt.Errorf("the SNS event has %d records, more than %d", len(ev.Records), MaxRecords)
	}
	out := make([]alert.Alert, 0, len(ev.Records))
	for i, r := range ev.Records {
		if r.EventSource != "aws:sns" {
			return nil, fmt.Errorf("record %d comes from %q, not aws:sns", i, r.EventSource)
		}
		a, err := DecodeAlarm([]byte(r.Sns.Message))
		if err != nil {
			return nil, fmt.Errorf("SNS message %s: %v", r.Sns.MessageID, err)
		}
		if a.ID == "" {
			a.ID = r.Sns.MessageID
		}
		if a.Key == "" && r.Sns.MessageID != "" {
			a.Key = alert.BoundKey("sns:" + r.Sns.MessageID) // no state change time: SNS keeps the id across retries
		}
		out = append(out, a)
	}
	return out, nil
}

// DecodeAlarm reads the alarm JSON of an SNS message.
func DecodeAlarm(msg []byte) (alert.Alert, error) {
	var al Alarm
	if err := tooBig("alarm", msg); err != nil {
		return alert.Alert{}, err
	}
	if err := alert.DecodeJSON(msg, &al); err != nil {
		return alert.Alert{}, fmt.Errorf("the message is not a CloudWatch alarm: %v", err)
	}
	if al.AlarmName == "" || al.NewStateValue == "" {
		return alert.Alert{}, errors.New("the message is not a CloudWatch alarm (it has no AlarmName or NewStateValue)")
	}
	labels := map[string]string{}
	for _, d := range al.Trigger.Dimensions {
		labels[d.Name] = d.Value
	}
	metric, namespace := al.Trigger.MetricName, al.Trigger.Namespace
	for _, m := range al.Trigger.Metrics {
		for _, d := range m.MetricStat.Metric.Dimensions {
			if _, ok := labels[d.Name]; !ok {
				labels[d.Name] = d.Value
			}
		}
		if metric == "" {
			metric, namespace = m.MetricStat.Metric.MetricName, m.MetricStat.Metric.Namespace
		}
	}
	var id string
	if al.AlarmArn != "" {
		id = al.AlarmArn + "@" + al.StateChangeTime
	}
	return alert.Alert{
		Source: "cloudwatch",
		Name:   al.AlarmName,
		Firing: al.NewStateValue == "ALARM",
		State:  al.NewStateValue,
		Labels: labels,
		Fields: fields(al.AlarmName, metric, namespace, al.Region, al.AWSAccountID),
		ID:     id,
		Key:    key(al.AlarmArn, al.AlarmName, al.StateChangeTime),
	}, nil
}

// key is ARN (or name) + "@" + the state change time; "" without a time (the caller may have
// another identity).
func key(arn, name, at string) string {
	if strings.TrimSpace(at) == "" {
		return ""
	}
	if arn == "" {
		arn = name
	}
	return alert.BoundKey(arn + "@" + alert.KeyTime(at))
}

type ebEvent struct {
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     struct {
		AlarmName string `json:"alarmName"`
		State     struct {
			Value     string `json:"value"`
			Reason    string `json:"reason"`
			Timestamp string `json:"timestamp"`
		} `json:"state"`
		Configuration struct {
			Description string     `json:"description"`
			Metrics     []ebMetric `json:"metrics"`
		} `json:"configuration"`
	} `json:"detail"`
}

type ebMetric struct {
	ID         string `json:"id"`
	MetricStat struct {
		Metric struct {
			Namespace  string            `json:"namespace"`
			Name       string            `json:"name"`
			Dimensions map[string]string `json:"dimensions"`
		} `json:"metric"`
	} `json:"metricStat"`
}

// DecodeEventBridge reads an EventBridge CloudWatch Alarm State Change event.
func DecodeEventBridge(raw []byte) (alert.Alert, error) {
	var ev ebEvent
	if err := tooBig("EventBridge event", raw); err != nil {
		return alert.Alert{}, err
	}
	if err := alert.DecodeJSON(raw, &ev); err != nil {
		return alert.Alert{}, err
	}
	if ev.Source != "aws.cloudwatch" || ev.DetailType != DetailType {
		return alert.Alert{}, fmt.Errorf("the EventBridge event is %q from %q, not %q from aws.cloudwatch", ev.DetailType, ev.Source, DetailType)
	}
	if ev.Detail.AlarmName == "" || ev.Detail.State.Value == "" {
		return alert.Alert{}, errors.New("the EventBridge event has no detail.alarmName or detail.state.value")
	}
	labels := map[string]string{}
	var metric, namespace string
	for _, m := range ev.Detail.Configuration.Metrics {
		for k, v := range m.MetricStat.Metric.Dimensions {
			if _, ok := labels[k]; !ok {
				labels[k] = v
			}
		}
		if metric == "" {
			metric, namespace = m.MetricStat.Metric.Name, m.MetricStat.Metric.Namespace
		}
	}
	id := ev.ID
	arn := ""
	if len(ev.Resources) > 0 {
		arn = ev.Resources[0]
		id = ev.Resources[0] + "@" + ev.Detail.State.Timestamp
	}
	at := ev.Detail.State.Timestamp
	if strings.TrimSpace(at) == "" {
		at = ev.Time
	}
	return alert.Alert{
		Source: "cloudwatch",
		Name:   ev.Detail.AlarmName,
		Firing: strings.EqualFold(ev.Detail.State.Value, "ALARM"),
		State:  ev.Detail.State.Value,
		Labels: labels,
		Fields: fields(ev.Detail.AlarmName, metric, namespace, ev.Region, ev.Account),
		ID:     id,
		Key:    key(arn, ev.Detail.AlarmName, at),
	}, nil
}

func fields(name, metric, namespace, region, account string) map[string]string {
	f := map[string]string{"AlarmName": name, "alarmName": name}
	for k, v := range map[string]string{"MetricName": metric, "Namespace": namespace, "Region": region, "AWSAccountId": account} {
		if v != "" {
			f[k] = v
		}
	}
	return f
}
