package confirm

import (
	"strings"
	"testing"
	"time"

	"offsetreset/shared/reset"
)

func i64(v int64) *int64 { return &v }

func plan(group string, rows int) *reset.Result {
	res := &reset.Result{Status: reset.StatusPlanned, Target: "prod", Group: group, To: "latest", DryRun: true}
	for p := 0; p < rows; p++ {
		res.Partitions = append(res.Partitions, reset.PartitionResult{Topic: "orders", Partition: int32(p), Before: i64(10), After: i64(100), Status: reset.StatusPlanned})
	}
	res.Partitions = append(res.Partitions, reset.PartitionResult{Topic: "orders", Partition: int32(rows), Status: reset.StatusError, Error: "gone"})
	return res
}

// One token carries several groups' plans, each with its command, rows and pinned instant; it
// opens only for its principal (Open) or for anyone before it expires (Verify), and only as a
// confirm token.
func TestClaimsOfSeveralGroups(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := NewClaims("slack:U1", now)
	at := int64(1_799_990_000_000)
	for i, g := range []string{"analytics-batch", "analytics-web"} {
		cmd := reset.Command{Target: "prod", Group: g, To: "ago:2h", DryRun: true}
		var pin *int64
		if i == 1 {
			pin = &at
		}
		if err := c.Add(cmd, plan(g, 3), pin); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := Issue("s3cret", c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open("s3cret", tok, "slack:U1", now)
	if err != nil || len(got.Plans) != 2 || got.Plans[1].Command.Group != "analytics-web" || got.Plans[0].Command.DryRun ||
		len(got.Plans[0].Rows) != 3 || got.Plans[0].At != nil || *got.Plans[1].At != at || len(got.Plans[1].Pinned()) != 3 {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := Open("s3cret", tok, "slack:U2", now); err == nil || err.Error() != "this plan was made by slack:U1; only they can confirm it (plan it yourself to apply it)" {
		t.Fatal(err)
	}
	if v, err := Verify("s3cret", tok, now); err != nil || v.Principal != "slack:U1" {
		t.Fatal(err)
	}
	if _, err := Verify("s3cret", tok, now.Add(DefaultTTL+time.Second)); err == nil || !strings.HasPrefix(err.Error(), "the confirm token expired at ") {
		t.Fatal(err)
	}
	// The same secret seals chat jobs under another purpose: neither opens as the other.
	job, _ := Seal("s3cret", PurposeChatJob, c)
	if _, err := Verify("s3cret", job, now); err != errInvalid {
		t.Fatalf("a chat job opened as a confirm token: %v", err)
	}
	var back Claims
	if err := Unseal("s3cret", PurposeChatJob, tok, &back); err != errInvalid {
		t.Fatalf("a confirm token opened as a chat job: %v", err)
	}
	if _, err := Verify("other", tok, now); err != errInvalid {
		t.Fatal(err)
	}
	if _, err := Verify("", tok, now); err != ErrNoSecret {
		t.Fatal(err)
	}
	// Drift per plan: a moved committed offset, a vanished partition.
	moved := plan("analytics-batch", 2)
	moved.Partitions = moved.Partitions[:2]
	moved.Partitions[0].Before = i64(11)
	if d := got.Plans[0].Drift(moved, got.Tolerance); len(d) != 2 || d[0] != "orders/0: committed offset was 10 at plan time, now 11" || d[1] != "orders/2 is no longer in the plan" {
		t.Fatalf("%q", d)
	}
}

// MaxRows bounds the rows of a token over all its groups.
func TestMaxRowsIsTheTotal(t *testing.T) {
	c := NewClaims("slack:U1", time.Now())
	if err := c.Add(reset.Command{Target: "prod", Group: "a"}, plan("a", MaxRows-10), nil); err != nil {
		t.Fatal(err)
	}
	err := c.Add(reset.Command{Target: "prod", Group: "b"}, plan("b", 11), nil)
	if err == nil || err.Error() != "the plan has 501 partitions, more than the 500 a confirm token can carry; use the JSON API for this reset" || len(c.Plans) != 1 {
		t.Fatalf("%v", err)
	}
	if _, err := Issue("s", NewClaims("slack:U1", time.Now())); err == nil {
		t.Fatal("a token without a plan was issued")
	}
}
