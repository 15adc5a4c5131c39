package reset

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Commit markers: on backends that store a metadata string with every committed offset (Kafka's
// OffsetCommit metadata), offsetreset writes, per partition, who moved it, from where and when:
//
//	offsetreset:v1:<id>:<before>:<unix ms>
//
// id is a short hash of the invocation's identity (a platform request id, an alert notification,
// a confirm token), before is the committed offset the invocation found ("-" for none). The
// newest MaxMarks marks are kept, newest first, separated by spaces, so a delivery whose mark lies
// under a newer one (an undo, another reset) is recognised and refused; a confirm token is also
// spent by any mark newer than its plan (Options.NotMarkedSince), which needs no history. A retry of the same invocation finds its own mark
// and re-targets the same absolute offset from the recorded before, so it can never move a
// partition further than one delivery would. Metadata that is not a mark (a consumer's own) is
// ignored and replaced.

// MarkPrefix starts every mark.
const MarkPrefix = "offsetreset:v1:"

// MaxMarks is how many marks a partition's metadata keeps: the newest and the one before, which
// is what the checks read (a 50,000-partition group carries them on every partition; Kafka's
// default metadata limit is 4096 bytes, two marks take about 170 in base64).
const MaxMarks = 2

// Mark is one invocation's record on a partition.
type Mark struct {
	// ID is the hashed invocation identity (MarkID).
	ID string
	// Before is the committed offset the invocation found, nil if there was none.
	Before *int64
	// At is when it wrote, in Unix ms.
	At int64
}

// MarkID hashes an invocation identity into the short id a mark carries; the identity itself
// (a request id, a token) never reaches the broker.
func MarkID(identity string) string {
	sum := sha256.Sum256([]byte("offsetreset-mark:" + identity))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// RandomMarkID is the id of a write that has no identity of its own (nothing will retry it).
func RandomMarkID() string {
	var b [12]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (m Mark) String() string { return string(m.append(nil)) }

// Time is when the mark was written.
func (m Mark) Time() time.Time { return time.UnixMilli(m.At).UTC() }

// The metadata holds the marks in standard base64: consumers read the metadata of their group's
// commits, and Kafka Streams before 3.2 base64-decodes it without a guard (a plain "a:b" would
// stop its tasks); decoded, the first byte is 'o', not Streams' version byte, so Streams ignores
// it. markB64 is how every encoded metadata starts (MarkPrefix is 15 bytes: 20 base64 characters).
var markB64 = base64.StdEncoding.EncodeToString([]byte(MarkPrefix))

// ParseMarks reads the marks in a partition's metadata, newest first; anything else is ignored.
// It reads at most MaxMarks marks and scans by index (a 50,000-partition group parses 50,000 of
// these), so hostile or long metadata costs little.
func ParseMarks(metadata string) []Mark {
	if !strings.HasPrefix(metadata, markB64) || len(metadata) > 4096 {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(metadata)
	if err != nil {
		return nil
	}
	metadata = string(raw)
	var out []Mark
	rest := metadata
	for len(rest) > 0 && len(out) < MaxMarks {
		i := strings.Index(rest, MarkPrefix)
		if i < 0 {
			break
		}
		rest = rest[i+len(MarkPrefix):]
		field := rest
		if j := strings.IndexAny(rest, " \t\n"); j >= 0 {
			field, rest = rest[:j], rest[j:]
		} else {
			rest = ""
		}
		if m, ok := parseMark(field); ok {
			if out == nil {
				out = make([]Mark, 0, min(MaxMarks, strings.Count(metadata, MarkPrefix)))
			}
			out = append(out, m)
		}
	}
	return out
}

// parseMark reads "<id>:<before or ->:<unix ms>".
func parseMark(f string) (Mark, bool) {
	id, rest, ok := strings.Cut(f, ":")
	if !ok || id == "" {
		return Mark{}, false
	}
	before, at, ok := strings.Cut(rest, ":")
	if !ok {
		return Mark{}, false
	}
	ms, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return Mark{}, false
	}
	m := Mark{ID: id, At: ms}
	if before != "-" {
		v, err := strconv.ParseInt(before, 10, 64)
		if err != nil {
			return Mark{}, false
		}
		m.Before = &v
	}
	return m, true
}

// EncodeMarks writes m followed by the older marks (other ids only), at most MaxMarks in all.
func EncodeMarks(m Mark, older []Mark) string {
	b := make([]byte, 0, (len(MarkPrefix)+40)*min(MaxMarks, len(older)+1))
	b = m.append(b)
	n := 1
	for _, o := range older {
		if n == MaxMarks {
			break
		}
		if o.ID == m.ID {
			continue
		}
		b = o.append(append(b, ' '))
		n++
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (m Mark) append(b []byte) []byte {
	b = append(append(append(b, MarkPrefix...), m.ID...), ':')
	if m.Before != nil {
		b = strconv.AppendInt(b, *m.Before, 10)
	} else {
		b = append(b, '-')
	}
	return strconv.AppendInt(append(b, ':'), m.At, 10)
}

// FindMark returns the newest mark of id, if any.
func FindMark(marks []Mark, id string) (Mark, bool) {
	for _, m := range marks {
		if m.ID == id {
			return m, true
		}
	}
	return Mark{}, false
}
