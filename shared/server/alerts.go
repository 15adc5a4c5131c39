package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"

	"offsetreset/shared/config"
	"offsetreset/shared/reset"
	"offsetreset/shared/trigger/alert"
	"offsetreset/shared/trigger/alertmanager"
	"offsetreset/shared/trigger/cloudeye"
	"offsetreset/shared/trigger/cloudmonitor"
	"offsetreset/shared/trigger/grafana"
)

// What happened to one alert.
const (
	// OutcomeActed: a rule matched and its command ran; the result says how it went (applied,
	// planned, or refused — e.g. the lag is below minLag now, which acknowledges the alert).
	OutcomeActed = "acted"
	// OutcomeAcknowledged: the alert is not firing (resolved, OK, insufficient data); nothing runs.
	OutcomeAcknowledged = "acknowledged"
	// OutcomeIgnored: no alert rule matches it.
	OutcomeIgnored = "ignored"
	// OutcomeInvalid: a rule matched but no command could be made (no consumer group).
	OutcomeInvalid = "invalid"
	// OutcomeDuplicate: another delivery of the same notification already acted on it.
	OutcomeDuplicate = "duplicate"
)

// AlertOutcome is the answer for one alert.
type AlertOutcome struct {
	Alert   string        `json:"alert"`
	ID      string        `json:"id,omitempty"`
	State   string        `json:"state"`
	Rule    string        `json:"rule,omitempty"`
	Outcome string        `json:"outcome"`
	Reason  string        `json:"reason,omitempty"`
	Result  *reset.Result `json:"result,omitempty"`
}

// AlertReport is the answer to one webhook or event: one outcome per alert, in order.
type AlertReport struct {
	Source string         `json:"source"`
	Alerts []AlertOutcome `json:"alerts"`
}

// RetryError is the error a platform should see so that it delivers the event again: only when
// a command that did not do what was asked can safely be retried (see RetryError). An alert that
// matched a rule but made no command is the configuration's fault, not worth a retry.
func (r *AlertReport) RetryError() error {
	return RetryError(r.Results())
}

// HandleAlerts runs the rules for alerts already decoded and authenticated: every firing alert
// that a rule of its source matches runs that rule's command through RunAlert (minLag and
// maxSkip re-checked now) as trigger alert, principal alert:<source>:<rule>. Resolved alerts are
// acknowledged, unmatched ones ignored; each says why. The HTTP alert routes and Lambda's SNS and
// EventBridge events both come here.
func (s *Service) HandleAlerts(ctx context.Context, requestID, source string, alerts []alert.Alert) *AlertReport {
	rep := &AlertReport{Source: source, Alerts: make([]AlertOutcome, 0, len(alerts))}
	max := s.Config.MaxAlertsPerWebhook
	if max <= 0 {
		max = config.DefaultMaxAlertsPerWebhook
	}
	acting := 0
	ctx, batch := withNotifyBatch(ctx)
	defer s.flushNotifications(ctx, requestID, batch)
	seen := map[string]bool{}
	for _, a := range alerts {
		o := AlertOutcome{Alert: a.Name, ID: a.ID, State: a.State}
		if o.Alert == "" {
			o.Alert = "(unnamed)"
		}
		key := a.Key
		if key == "" {
			key = contentKey(a) // no identity from the source: the alert's content stands for it
		}
		if a.Firing && seen[key] {
			// The same notification twice in one webhook: it acts once.
			o.Outcome = OutcomeDuplicate
			o.Reason = "the same alert (" + key + ") appears earlier in this webhook; it acts once, nothing changed for this copy"
			rep.Alerts = append(rep.Alerts, o)
			continue
		}
		seen[key] = true
		if !a.Firing {
			o.Outcome = OutcomeAcknowledged
			o.Reason = fmt.Sprintf("state %s: only firing alerts act; nothing changed", a.State)
			rep.Alerts = append(rep.Alerts, o)
			continue
		}
		rule, ok := alert.Find(s.Config.Alerts, a)
		if !ok {
			o.Outcome = OutcomeIgnored
			o.Reason = fmt.Sprintf("no alert rule with source %s matches this alert (labels: %s); nothing changed", a.Source, a.Describe(8))
			rep.Alerts = append(rep.Alerts, o)
			continue
		}
		o.Rule = rule.Name
		cmd, err := alert.Command(rule, a)
		if err != nil {
			o.Outcome = OutcomeInvalid
			o.Reason = err.Error() + "; nothing changed"
			rep.Alerts = append(rep.Alerts, o)
			continue
		}
		if acting == max {
			// One webhook acts on at most max alerts that a rule matches; unmatched ones cost
			// nothing and do not count.
			o.Outcome, o.Reason = OutcomeIgnored, alert.LimitReason(max)
			rep.Alerts = append(rep.Alerts, o)
			continue
		}
		acting++
		inv := Invocation{Trigger: TriggerAlert, Principal: "alert:" + a.Source + ":" + rule.Name, RequestID: requestID,
			Identity: "alert:" + a.Source + ":" + rule.Name + ":" + key, SameWithin: rule.SameDeliveryWindow()}
		cmds, err := s.Planner.Expand(ctx, cmd, s.Config.MaxGroups)
		if err != nil {
			o.Outcome = OutcomeInvalid
			o.Reason = err.Error() + "; nothing changed"
			rep.Alerts = append(rep.Alerts, o)
			continue
		}
		// One outcome per group a rule's groups glob matched, each acting (or not) on its own.
		for _, c := range cmds {
			oc, ic := o, inv
			if len(cmd.Groups) > 0 && ic.Identity != "" {
				ic.Identity += "/" + c.Group
			}
			oc.Outcome = OutcomeActed
			oc.Result = s.RunAlert(ctx, ic, rule, c)
			if oc.Result.Duplicate != "" && !wroteAny(oc.Result) {
				oc.Outcome = OutcomeDuplicate
				oc.Reason = fmt.Sprintf("this notification was %s by an earlier delivery (webhook retry or HA peer); nothing changed", oc.Result.Duplicate)
			}
			rep.Alerts = append(rep.Alerts, oc)
		}
	}
	return rep
}

// contentKey is the identity of an alert whose source gives none (no fingerprint, no message id):
// a hash of its source, name, state and labels, so identical deliveries within the rule's
// sameDelivery window are one delivery.
func contentKey(a alert.Alert) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", a.Source, a.Name, a.State)
	for _, m := range []map[string]string{a.Labels, a.Common} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(h, "\x00%s=%s", k, m[k])
		}
	}
	return "content:" + hex.EncodeToString(h.Sum(nil)[:12])
}

// alertRoutes are POST /v1/alerts/{alertmanager,grafana,cloudmonitor,cloudeye}.
func (s *Service) alertRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /v1/alerts/alertmanager": s.serveAlerts("alertmanager", alertmanager.Decode),
		"POST /v1/alerts/grafana":      s.serveAlerts("grafana", grafana.Decode),
		"POST /v1/alerts/cloudmonitor": s.serveAlerts("cloudmonitor", cloudmonitor.Decode),
		"POST /v1/alerts/cloudeye":     s.serveCloudEye,
	}
}

// Signature headers of the alert routes: Grafana's, and a generic one for senders that can sign
// (hex HMAC-SHA256 of the body, optionally "sha256=" prefixed, or of "timestamp:body" with
// X-Offsetreset-Timestamp).
var signatureHeaders = []string{grafana.SignatureHeader, "X-Offsetreset-Signature"}

// errClosed is the answer of an alert route with no secret configured.
var errClosed = errors.New("this route is closed: set OFFSETRESET_WEBHOOK_TOKEN (sent as Authorization: Bearer … or ?token=…) or OFFSETRESET_WEBHOOK_HMAC_SECRET")

// webhookToken reports whether the request carries the webhook token (bearer or ?token=),
// compared in constant time; present says whether it carried any token at all.
func (s *Service) webhookToken(r *http.Request) (ok, present bool) {
	tok, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !hasBearer {
		tok = r.URL.Query().Get("token")
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return false, false
	}
	if s.Secrets.WebhookToken == "" {
		return false, true
	}
	return subtle.ConstantTimeCompare([]byte(tok), []byte(s.Secrets.WebhookToken)) == 1, true
}

// alertAuth authenticates an alert webhook: the webhook token, or an HMAC signature with the
// webhook HMAC secret.
func (s *Service) alertAuth(r *http.Request, body []byte) error {
	if s.Secrets.WebhookToken == "" && s.Secrets.WebhookHMAC == "" {
		return errClosed
	}
	ok, present := s.webhookToken(r)
	if ok {
		return nil
	}
	for _, h := range signatureHeaders {
		sig := r.Header.Get(h)
		if sig == "" {
			continue
		}
		var ts string
		for _, th := range grafana.TimestampHeaders {
			if ts = r.Header.Get(th); ts != "" {
				break
			}
		}
		return grafana.Verify(s.Secrets.WebhookHMAC, body, sig, ts, s.now())
	}
	if present {
		return errors.New("the webhook token is wrong; check OFFSETRESET_WEBHOOK_TOKEN")
	}
	return errors.New("no credentials: send Authorization: Bearer <OFFSETRESET_WEBHOOK_TOKEN>, ?token=<OFFSETRESET_WEBHOOK_TOKEN>, or an X-Grafana-Alerting-Signature HMAC")
}

type requestIDKey struct{}

// trustedRequestID is the platform's id of this request, set by Handler's platform layer: FC's
// x-fc-request-id on FC, Lambda's own request id on Lambda (the adapter replaces any caller's
// X-Request-Id), X-Request-Id locally. A caller can never choose it on FC or Lambda.
func trustedRequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// serveAlerts reads, authenticates and decodes a webhook, then runs its alerts. Any failure
// before the alerts run changes nothing: 400 for a bad body, 401 for bad credentials.
func (s *Service) serveAlerts(source string, decode func([]byte) ([]alert.Alert, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := s.alertAuth(r, body); err != nil {
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
		alerts, err := decode(body)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%s webhook: %v", source, err))
			return
		}
		writeJSONAnswer(w, http.StatusOK, s.HandleAlerts(r.Context(), trustedRequestID(r), source, alerts).Bounded())
	}
}

func writeJSONAnswer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// cloudEye is the SMN client of the cloudeye route: Service.CloudEye, or one built once from
// OFFSETRESET_SMN_HOSTS (comma-separated host patterns, default cloudeye.DefaultHosts) and
// OFFSETRESET_SMN_TOPIC_URNS (the topics whose signed messages are accepted; unset = only the URL
// token authenticates).
func (s *Service) cloudEye() *cloudeye.Client {
	s.once.Do(func() {
		if s.CloudEye != nil {
			return
		}
		s.CloudEye = &cloudeye.Client{Topics: splitCommaList(os.Getenv("OFFSETRESET_SMN_TOPIC_URNS"))}
		if h := splitCommaList(os.Getenv("OFFSETRESET_SMN_HOSTS")); len(h) > 0 {
			s.CloudEye.Hosts = h
		}
	})
	return s.CloudEye
}

func splitCommaList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// CloudEyeAnswer is the answer to SMN subscription and unsubscription messages.
type CloudEyeAnswer struct {
	Type      string `json:"type"`
	TopicURN  string `json:"topicUrn"`
	Confirmed bool   `json:"confirmed"`
	Message   string `json:"message"`
}

// serveCloudEye is POST /v1/alerts/cloudeye: Huawei SMN messages, authenticated by the URL token
// or by the SMN signature of an allowed topic.
func (s *Service) serveCloudEye(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	smn := s.cloudEye()
	tokenOK, tokenPresent := s.webhookToken(r)
	if !tokenOK && len(smn.Topics) == 0 {
		if s.Secrets.WebhookToken == "" {
			writeError(w, http.StatusUnauthorized, "this route is closed: set OFFSETRESET_WEBHOOK_TOKEN (and add ?token=… to the SMN subscription URL) or OFFSETRESET_SMN_TOPIC_URNS (accept SMN-signed messages of those topics)")
			return
		}
		if tokenPresent {
			writeError(w, http.StatusUnauthorized, "the webhook token is wrong; check OFFSETRESET_WEBHOOK_TOKEN")
			return
		}
		writeError(w, http.StatusUnauthorized, "no credentials: add ?token=<OFFSETRESET_WEBHOOK_TOKEN> to the SMN subscription URL")
		return
	}
	msg, err := cloudeye.Decode(body)
	if err != nil {
		if !tokenOK {
			writeError(w, http.StatusUnauthorized, "the body is not a signed SMN message ("+err.Error()+"); nothing was done")
			return
		}
		writeError(w, http.StatusBadRequest, "cloudeye (SMN) message: "+err.Error())
		return
	}
	if !tokenOK {
		if err := smn.Verify(r.Context(), msg); err != nil {
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
	}
	if h := r.Header.Get(cloudeye.TypeHeader); h != "" && h != msg.Type {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("the %s header says %s but the body is a %s", cloudeye.TypeHeader, h, msg.Type))
		return
	}
	// A captured notification acts only within 15 minutes of its sending, token or signature.
	if err := cloudeye.Fresh(msg, s.now()); err != nil {
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	switch msg.Type {
	case cloudeye.TypeSubscriptionConfirmation:
		if err := smn.Allowed(msg.SubscribeURL); err != nil {
			writeError(w, http.StatusBadRequest, "the SMN subscription was not confirmed: "+err.Error())
			return
		}
		if err := smn.Confirm(r.Context(), msg); err != nil {
			writeError(w, http.StatusBadGateway, "the SMN subscription was not confirmed: "+err.Error()+"; confirm it in the SMN console or request confirmation again")
			return
		}
		writeJSONAnswer(w, http.StatusOK, CloudEyeAnswer{Type: msg.Type, TopicURN: msg.TopicURN, Confirmed: true, Message: "subscription confirmed"})
	case cloudeye.TypeUnsubscribeConfirmation:
		writeJSONAnswer(w, http.StatusOK, CloudEyeAnswer{Type: msg.Type, TopicURN: msg.TopicURN, Message: "acknowledged; nothing to do"})
	default:
		a, ok := cloudeye.Alarm(msg)
		if !ok {
			writeJSONAnswer(w, http.StatusOK, &AlertReport{Source: "cloudeye", Alerts: []AlertOutcome{{
				Alert: "(unnamed)", ID: msg.MessageID, Outcome: OutcomeIgnored,
				Reason: "the SMN message names no alarm (no alarm_name in its message); use a Cloud Eye message template that includes the alarm name and status; nothing changed",
			}}})
			return
		}
		writeJSONAnswer(w, http.StatusOK, s.HandleAlerts(r.Context(), trustedRequestID(r), "cloudeye", []alert.Alert{a}).Bounded())
	}
}
