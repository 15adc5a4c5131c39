// Command sizes prints the size of each deployment artefact and, for the FC binary, each cloud
// SDK's share (the stripped binary built without that provider: tags no_alibaba / no_huawei);
// then, for the FC and the Lambda binary, the share of each dependency in the symbol table of an
// unstripped build (the Lambda one carries aws-lambda-go and, for deferred chat replies,
// aws-sdk-go-v2's service/lambda).
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

var groups = []struct{ name, prefix string }{
	{"Alibaba Cloud SDK", "github.com/aliyun/"},
	{"Huawei Cloud SDK", "github.com/huaweicloud/"},
	{"franz-go (kgo/kadm/kmsg)", "github.com/twmb/"},
	{"aws-lambda-go", "github.com/aws/aws-lambda-go/"},
	{"AWS SDK v2 (service/lambda, smithy)", "github.com/aws/"},
	{"other third-party", "github.com/"},
	{"other third-party", "go.mongodb.org/"},
	{"other third-party", "gopkg.in/"},
	{"other third-party", "golang.org/x/"},
	{"offsetreset", "offsetreset/"},
}

// stripped builds ./functions/fc as make build does, with tags, and returns its size.
func stripped(dir, tags string) int64 {
	out := filepath.Join(dir, "fc-"+strings.ReplaceAll(tags, ",", "-"))
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-tags", tags, "-o", out, "./functions/fc")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, b)
		os.Exit(1)
	}
	st, err := os.Stat(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return st.Size()
}

func main() {
	for _, f := range os.Args[1:] {
		if st, err := os.Stat(f); err == nil {
			fmt.Printf("%-40s %6.2f MB\n", f, float64(st.Size())/1e6)
		}
	}
	dir, _ := os.MkdirTemp("", "sizes")
	defer os.RemoveAll(dir)
	full := stripped(dir, "")
	fmt.Printf("\nFC binary (stripped, linux/amd64): %.2f MB; what each cloud SDK adds:\n", float64(full)/1e6)
	for _, v := range []struct{ name, tags string }{{"Alibaba Cloud SDK (alikafka, ons, CommonRequest)", "no_alibaba"}, {"Huawei Cloud SDK (kafka/v2, rocketmq/v2)", "no_huawei"}, {"both", "no_alibaba,no_huawei"}} {
		without := stripped(dir, v.tags)
		fmt.Printf("  %-50s %5.2f MB  %5.1f%%\n", v.name, float64(full-without)/1e6, 100*float64(full-without)/float64(full))
	}
	share(dir, "FC", "./functions/fc")
	share(dir, "Lambda (linux/amd64)", "./functions/lambda", "-tags", "lambda.norpc")
}

// share builds pkg unstripped (linux/amd64, extra build flags) and prints each dependency's share
// of its code and read-only data.
func share(dir, name, pkg string, flags ...string) {
	bin := filepath.Join(dir, strings.ToLower(strings.Fields(name)[0]))
	build := exec.Command("go", append(append([]string{"build", "-trimpath"}, flags...), "-o", bin, pkg)...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	out, err := exec.Command("go", "tool", "nm", "-size", bin).Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "nm:", err)
		os.Exit(1)
	}
	by := map[string]int64{}
	var total int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		if t := f[2]; t != "T" && t != "t" && t != "R" && t != "r" {
			continue // code and read-only data only: bss and zero-filled data take no room in the zip
		}
		size, _ := strconv.ParseInt(f[1], 10, 64)
		name := strings.Join(f[3:], " ")
		total += size
		g := "Go runtime and standard library"
		for _, gr := range groups {
			if strings.Contains(name, gr.prefix) {
				g = gr.name
				break
			}
		}
		by[g] += size
	}
	var names []string
	for n := range by {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return by[names[i]] > by[names[j]] })
	fmt.Printf("\nShare of the %s binary's code and read-only data (%.1f MB):\n", name, float64(total)/1e6)
	for _, n := range names {
		fmt.Printf("  %-36s %6.2f MB  %5.1f%%\n", n, float64(by[n])/1e6, 100*float64(by[n])/float64(total))
	}
}
