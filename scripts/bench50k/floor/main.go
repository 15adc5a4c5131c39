// Command floor is the bare kadm program scripts/bench50k measures as the floor of a reset to
// latest: one ListEndOffsets over every topic of the cluster and one CommitOffsets of those ends
// for the group, nothing else (no group check, no read-back, no output). It exits 1 on any error.
//
// Usage: floor BROKER GROUP
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: floor BROKER GROUP")
		os.Exit(2)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(os.Args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "list end offsets:", err)
		os.Exit(1)
	}
	resp, err := adm.CommitOffsets(ctx, os.Args[2], ends.Offsets())
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "commit:", err)
		os.Exit(1)
	}
}
