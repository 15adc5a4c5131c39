// Command coldstart measures the FC bootstrap's cold start: the time from exec to the first
// GET /healthz 200, to the first answered /invoke (a dry run on an embedded Kafka broker), and
// the peak RSS (VmHWM), over N runs; it prints the median and the 90th percentile. Beside it, in
// the same run and alternating with it, it measures a minimal Go HTTP server started the same way
// (scripts/coldstart/minimal), so the comparison does not depend on how busy the machine is.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"offsetreset/shared/provider/kafka/kafkatest"
)

func main() {
	runs := flag.Int("n", 20, "runs")
	bin := flag.String("bin", "", "bootstrap to measure (built from ./functions/fc when empty)")
	flag.Parse()
	dir, _ := os.MkdirTemp("", "coldstart")
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = build(dir, "bootstrap", "./functions/fc")
	}
	minimal := build(dir, "minimal", "./scripts/coldstart/minimal")
	k, err := kafkatest.Start(map[string]int32{"orders": 6})
	if err != nil {
		fail("kfake: %v", err)
	}
	defer k.Close()
	ctx := context.Background()
	for p := int32(0); p < 6; p++ {
		k.Produce(ctx, "orders", p, 100, func(i int) time.Time { return time.Now() })
		k.Commit(ctx, "billing", "orders", p, 10)
	}
	cfg := filepath.Join(dir, "offsetreset.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("targets:\n  demo:\n    provider: kafka\n    brokers: [%q]\n", k.Addrs[0])), 0o644)

	var ready, first, rss, minReady, minRSS []float64
	for i := 0; i < *runs; i++ {
		r, f, m := once(*bin, cfg, true)
		ready, first, rss = append(ready, r), append(first, f), append(rss, m)
		r, _, m = once(minimal, cfg, false)
		minReady, minRSS = append(minReady, r), append(minRSS, m)
	}
	fmt.Printf("Cold start over %d alternating runs (median / p90):\n", *runs)
	fmt.Printf("  minimal Go server, exec → /healthz 200:  %6.1f ms / %6.1f ms, peak RSS %5.1f MB\n", pct(minReady, 50), pct(minReady, 90), pct(minRSS, 50))
	fmt.Printf("  FC bootstrap,      exec → /healthz 200:  %6.1f ms / %6.1f ms, peak RSS %5.1f MB\n", pct(ready, 50), pct(ready, 90), pct(rss, 50))
	fmt.Printf("  FC bootstrap,      exec → first /invoke: %6.1f ms / %6.1f ms\n", pct(first, 50), pct(first, 90))
	fmt.Printf("  ready ratio bootstrap / minimal: %.2f× (target ≤ 1.5×)\n", pct(ready, 50)/pct(minReady, 50))
}

func build(dir, name, pkg string) string {
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		fail("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func once(bin, cfg string, invoke bool) (readyMs, firstMs, rssMB float64) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FC_CUSTOM_LISTEN_PORT="+port, "OFFSETRESET_CONFIG="+cfg)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fail("start: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://127.0.0.1:" + port
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := start.Add(10 * time.Second)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			fail("no /healthz within 10 s")
		}
		time.Sleep(200 * time.Microsecond)
	}
	readyMs = ms(time.Since(start))
	if !invoke {
		return readyMs, 0, vmHWM(cmd.Process.Pid)
	}
	req, _ := http.NewRequest("POST", base+"/invoke", bytes.NewBufferString(`{"target":"demo","group":"billing","to":"latest","dryRun":true}`))
	req.Header.Set("x-fc-control-path", "/invoke")
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		fail("invoke: %v %v", err, resp)
	}
	resp.Body.Close()
	firstMs = ms(time.Since(start))
	return readyMs, firstMs, vmHWM(cmd.Process.Pid)
}

// vmHWM is a process's peak RSS in MB.
func vmHWM(pid int) float64 {
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(v []float64, p int) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[(len(s)-1)*p/100]
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "coldstart: "+f+"\n", a...)
	os.Exit(1)
}
