// Command bench50k measures a reset of one group over 50,000 partitions to latest, side by side in
// one run (issue 10, item 8): wall time and peak RSS of
//
//   - offsetreset: the FC bootstrap exactly as `make build` builds it (./functions/fc, CGO off,
//     trimpath, stripped), started per run with a one-target configuration, sent one FC event
//     invocation {"target":"big","group":"big","to":"latest"} on /invoke; wall time is exec → the
//     whole answer read, peak RSS is the process's VmHWM read from /proc once it answered;
//   - floor: scripts/bench50k/floor, a bare kadm program doing the same seek (ListEndOffsets of
//     every topic + CommitOffsets for the group); wall time exec → exit, peak RSS rusage maxrss;
//   - kcl (optional, -kcl PATH): `kcl group seek big --to end --yes`, built by you from its public
//     source outside this repository; measured like the floor.
//
// The broker is kfake in this process, so its memory is not counted in any measured program.
// Before every run the group is rewound to offset 0 on every partition (empty metadata; with
// -marks, three offsetreset marks of earlier resets, which offsetreset reads and rewrites), so
// each program writes all 50,000 partitions; after it, every partition is checked to be at its
// end. The programs run alternately (the order rotates every round) and the table shows medians.
//
// Usage:
//
//	go run ./scripts/bench50k [-runs 5] [-topics 1000] [-per-topic 50] [-marks] [-kcl PATH] \
//		[-bin BOOTSTRAP] [-baseline BOOTSTRAP,…]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"offsetreset/shared/provider/kafka/kafkatest"
	"offsetreset/shared/reset"
)

const group = "big"

type sample struct {
	wall time.Duration
	rss  float64 // MiB
	note string
}

type program struct {
	name string
	run  func(addr string) (sample, error)
	got  []sample
}

func main() {
	runs := flag.Int("runs", 5, "runs of each program")
	topics := flag.Int("topics", 1000, "topics")
	perTopic := flag.Int("per-topic", 50, "partitions per topic")
	kclPath := flag.String("kcl", os.Getenv("KCL"), "kcl binary to measure as a third column (empty: leave it out)")
	marks := flag.Bool("marks", false, "rewind with three offsetreset marks in every partition's commit metadata, as for a group offsetreset has reset before (they are read, kept and rewritten)")
	bin := flag.String("bin", "", "offsetreset FC bootstrap to measure (empty: build ./functions/fc like make build)")
	baseline := flag.String("baseline", "", "other FC bootstraps to measure beside it, comma-separated (e.g. one built from an earlier commit)")
	flag.Parse()

	dir, err := os.MkdirTemp("", "bench50k")
	check(err, "temp dir")
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "bootstrap")
		build(*bin, "./functions/fc")
	}
	floor, launcher := filepath.Join(dir, "floor"), filepath.Join(dir, "maxrss")
	build(floor, "./scripts/bench50k/floor")
	build(launcher, "./scripts/bench50k/maxrss")

	n := *topics * *perTopic
	fmt.Fprintf(os.Stderr, "seeding kfake: %d topics × %d partitions = %d, one record each, group %s committed at 0 …\n", *topics, *perTopic, n, group)
	start := time.Now()
	k, adm, names := seed(*topics, int32(*perTopic))
	defer k.Close()
	defer adm.Close()
	addr := k.Addrs[0]
	fmt.Fprintf(os.Stderr, "seeded in %s; broker %s\n", time.Since(start).Round(time.Millisecond), addr)
	cfg := filepath.Join(dir, "offsetreset.yaml")
	check(os.WriteFile(cfg, fmt.Appendf(nil, "targets:\n  big:\n    provider: kafka\n    brokers: [%q]\n", addr), 0o644), "config")

	progs := []*program{
		{name: "offsetreset (FC bootstrap, /invoke)", run: func(addr string) (sample, error) { return runBootstrap(*bin, cfg, n) }},
		{name: "bare kadm floor", run: func(addr string) (sample, error) { return runExit(launcher, floor, addr, group) }},
	}
	for _, b := range strings.Split(*baseline, ",") {
		if b != "" {
			progs = append(progs, &program{name: "offsetreset " + filepath.Base(b) + " (-baseline)", run: func(addr string) (sample, error) { return runBootstrap(b, cfg, n) }})
		}
	}
	if *kclPath != "" {
		progs = append(progs, &program{name: "kcl group seek --to end", run: func(addr string) (sample, error) {
			return runExit(launcher, *kclPath, "--no-config-file", "-B", addr, "group", "seek", group, "--to", "end", "--yes")
		}})
	}
	ctx := context.Background()
	for r := 0; r < *runs; r++ {
		for i := range progs {
			p := progs[(r+i)%len(progs)]
			rewind(ctx, adm, names, int32(*perTopic), *marks)
			s, err := p.run(addr)
			check(err, p.name)
			check(verify(ctx, adm, n), p.name+" did not leave the group at latest")
			p.got = append(p.got, s)
			fmt.Fprintf(os.Stderr, "run %d %-36s %8.0f ms %7.1f MiB %s\n", r+1, p.name, ms(s.wall), s.rss, s.note)
		}
	}

	how := "a group with no offsetreset marks"
	if *marks {
		how = "a group carrying three offsetreset marks per partition from earlier resets (-marks)"
	}
	fmt.Printf("\nReset of group %q over %d partitions (%d topics × %d) to latest on kfake (loopback, broker in another process),\n%s; %d runs each, alternating; median (min–max):\n\n", group, n, *topics, *perTopic, how, *runs)
	fmt.Printf("| program | wall time ms | peak RSS MiB |\n|---|---|---|\n")
	med := map[string][2]float64{}
	for _, p := range progs {
		w, r := stats(p.got, func(s sample) float64 { return ms(s.wall) }), stats(p.got, func(s sample) float64 { return s.rss })
		fmt.Printf("| %s | %.0f (%.0f–%.0f) | %.1f (%.1f–%.1f) |\n", p.name, w[0], w[1], w[2], r[0], r[1], r[2])
		med[p.name] = [2]float64{w[0], r[0]}
	}
	o := med[progs[0].name]
	fmt.Println()
	for _, p := range progs[1:] {
		m := med[p.name]
		fmt.Printf("offsetreset / %s: wall %.2f×, peak RSS %.2f×\n", p.name, o[0]/m[0], o[1]/m[1])
	}
	if notes := progs[0].got[len(progs[0].got)-1].note; notes != "" {
		fmt.Printf("offsetreset's last run: %s\n", notes)
	}
}

// seed starts kfake with the topics, one record per partition (log end 1) and the group
// committed at 0 everywhere.
func seed(topics int, perTopic int32) (*kafkatest.Cluster, *kadm.Client, []string) {
	spec := map[string]int32{}
	names := make([]string, topics)
	for i := range names {
		names[i] = fmt.Sprintf("t%04d", i)
		spec[names[i]] = perTopic
	}
	k, err := kafkatest.Start(spec)
	check(err, "kfake")
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	check(err, "client")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var recs []*kgo.Record
	ts := time.UnixMilli(1_700_000_000_000)
	for _, t := range names {
		for p := int32(0); p < perTopic; p++ {
			recs = append(recs, &kgo.Record{Topic: t, Partition: p, Value: []byte("m"), Timestamp: ts})
		}
	}
	check(cl.ProduceSync(ctx, recs...).FirstErr(), "produce")
	adm := kadm.NewClient(cl)
	rewind(ctx, adm, names, perTopic, false)
	return k, adm, names
}

// rewind commits offset 0 on every partition, with empty metadata (a group whose consumers
// committed last: no offsetreset marks) or, with marks, the metadata offsetreset leaves after
// three earlier resets of the group (three marks, as reset.EncodeMarks writes them).
func rewind(ctx context.Context, adm *kadm.Client, names []string, perTopic int32, marks bool) {
	at := time.Now().Add(-time.Hour).UnixMilli()
	ids := [3]string{reset.MarkID("bench50k-1"), reset.MarkID("bench50k-2"), reset.MarkID("bench50k-3")}
	o := make(kadm.Offsets)
	for i, t := range names {
		for p := int32(0); p < perTopic; p++ {
			var meta string
			if marks { // befores differ per partition, as a real group's do
				b := int64(i)*int64(perTopic) + int64(p)
				meta = reset.EncodeMarks(reset.Mark{ID: ids[2], Before: reset.Int64(b + 2000), At: at},
					[]reset.Mark{{ID: ids[1], Before: reset.Int64(b + 1000), At: at - 60_000}, {ID: ids[0], Before: reset.Int64(b), At: at - 120_000}})
			}
			o.Add(kadm.Offset{Topic: t, Partition: p, At: 0, LeaderEpoch: -1, Metadata: meta})
		}
	}
	check(adm.CommitAllOffsets(ctx, group, o), "rewind")
}

// verify checks that every one of n partitions is committed at its log end (1).
func verify(ctx context.Context, adm *kadm.Client, n int) error {
	f, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return err
	}
	at := 0
	f.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At == 1 {
			at++
		}
	})
	if at != n {
		return fmt.Errorf("%d of %d partitions at latest", at, n)
	}
	return nil
}

// runBootstrap starts the FC bootstrap, waits for /healthz, sends the event and reads the
// answer; it reads VmHWM before stopping the process.
func runBootstrap(bin, cfg string, n int) (sample, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sample{}, err
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FC_CUSTOM_LISTEN_PORT="+port, "OFFSETRESET_CONFIG="+cfg)
	logs := &lineStats{}
	cmd.Stdout, cmd.Stderr = logs, logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://127.0.0.1:" + port
	client := &http.Client{Timeout: 120 * time.Second}
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > 10*time.Second {
			return sample{}, fmt.Errorf("bootstrap did not come up: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	req, _ := http.NewRequest("POST", base+"/invoke", strings.NewReader(`{"target":"big","group":"big","to":"latest"}`))
	req.Header.Set("x-fc-control-path", "/invoke")
	req.Header.Set("x-fc-request-id", fmt.Sprintf("bench50k-%d", time.Now().UnixNano()))
	resp, err := client.Do(req)
	if err != nil {
		return sample{}, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	wall := time.Since(start)
	if err != nil {
		return sample{}, err
	}
	rss, err := vmHWM(cmd.Process.Pid)
	if err != nil {
		return sample{}, err
	}
	var res struct {
		Status            string            `json:"status"`
		Error             string            `json:"error"`
		Partitions        []json.RawMessage `json:"partitions"`
		PartitionsOmitted int               `json:"partitionsOmitted"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return sample{}, fmt.Errorf("answer: %v: %.200s", err, body)
	}
	if res.Status != "applied" || len(res.Partitions)+res.PartitionsOmitted != n {
		return sample{}, fmt.Errorf("answer: status %s, %d rows + %d omitted: %s", res.Status, len(res.Partitions), res.PartitionsOmitted, res.Error)
	}
	note := fmt.Sprintf("answer %.2f MB (%d rows, %d omitted); %d log lines, longest %.1f KB",
		float64(len(body))/1e6, len(res.Partitions), res.PartitionsOmitted, logs.lines, float64(logs.longest)/1e3)
	return sample{wall: wall, rss: rss, note: note}, nil
}

// runExit runs a program to its end through the maxrss launcher; peak RSS is its rusage maxrss.
func runExit(launcher, bin string, args ...string) (sample, error) {
	f, err := os.CreateTemp("", "maxrss")
	if err != nil {
		return sample{}, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command(launcher, append([]string{f.Name(), bin}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &limited{w: &stderr, n: 4096}
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return sample{}, err
	}
	kib, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil {
		return sample{}, fmt.Errorf("maxrss: %v", err)
	}
	return sample{wall: wall, rss: kib / 1024}, nil
}

func vmHWM(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// lineStats counts the lines a process writes and the longest one (the audit lines' size).
type lineStats struct {
	lines, longest, cur int
}

func (l *lineStats) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.cur += len(p)
			break
		}
		l.cur += i
		l.lines++
		l.longest = max(l.longest, l.cur)
		l.cur = 0
		p = p[i+1:]
	}
	return n, nil
}

// limited keeps the first n bytes written.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(l.n, len(p))
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func build(out, pkg string) {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		fail("build %s: %v\n%s", pkg, err, b)
	}
}

func stats(s []sample, f func(sample) float64) [3]float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	sort.Float64s(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return [3]float64{m, v[0], v[len(v)-1]}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func check(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench50k: "+format+"\n", args...)
	os.Exit(1)
}
