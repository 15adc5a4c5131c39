// Command coldstart measures the FC bootstrap's cold start: the time from exec to the first
// GET /healthz 200, to the first answered /invoke (a dry run on an embedded Kafka broker), and
// the peak RSS (VmHWM), over N runs; it prints the median and the 90th percentile.
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
		*bin = filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", *bin, "./functions/fc")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("build: %v\n%s", err, out)
		}
	}
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

	var ready, first, rss []float64
	for i := 0; i < *runs; i++ {
		r, f, m := once(*bin, cfg)
		ready, first, rss = append(ready, r), append(first, f), append(rss, m)
	}
	fmt.Printf("FC bootstrap cold start over %d runs (median / p90):\n", *runs)
	fmt.Printf("  exec → first /healthz 200:   %6.1f ms / %6.1f ms   (target ≤ 50 ms)\n", pct(ready, 50), pct(ready, 90))
	fmt.Printf("  exec → first /invoke answer: %6.1f ms / %6.1f ms   (target ≤ 150 ms)\n", pct(first, 50), pct(first, 90))
	fmt.Printf("  peak RSS (VmHWM):            %6.1f MB / %6.1f MB   (target ≤ 40 MB)\n", pct(rss, 50), pct(rss, 90))
}

func once(bin, cfg string) (readyMs, firstMs, rssMB float64) {
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
	req, _ := http.NewRequest("POST", base+"/invoke", bytes.NewBufferString(`{"target":"demo","group":"billing","to":"latest","dryRun":true}`))
	req.Header.Set("x-fc-control-path", "/invoke")
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		fail("invoke: %v %v", err, resp)
	}
	resp.Body.Close()
	firstMs = ms(time.Since(start))
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			rssMB = kb / 1024
		}
	}
	return
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
