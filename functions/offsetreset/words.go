package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"offsetreset/shared/reset"
	"offsetreset/shared/trigger/chat"
)

// resetCommand reads the words of plan, apply and status into one reset command, in the chat
// grammar (chat.ParseTopic, chat.ParseOffsets; `to` itself is judged by the service, so its
// errors are the API's sentences) with any number of topics:
//
//	plan|apply TARGET GROUP|GLOB [TOPIC[:P,P…]…] TO
//	plan|apply TARGET GROUP TOPIC:P=OFFSET,…          (explicit offsets)
//	plan|apply TARGET GROUP   with offsets from --from-file
//	status     TARGET GROUP [TOPIC…]                   (a dry run to "current")
func resetCommand(verb string, words []string, fromFile string) (reset.Command, error) {
	var cmd reset.Command
	switch {
	case verb == "status":
		if len(words) < 2 {
			return cmd, fmt.Errorf("status takes a target, a group and optional topics: offsetreset status TARGET GROUP [TOPIC…]")
		}
		cmd = reset.Command{Target: words[0], To: "current", DryRun: true}
		if err := addTopics(&cmd, words[2:]); err != nil {
			return cmd, err
		}
	case fromFile != "":
		if len(words) != 2 {
			return cmd, fmt.Errorf("with --from-file, %s takes only a target and a group: offsetreset %s --from-file FILE.csv TARGET GROUP", verb, verb)
		}
		offs, err := readOffsetsFile(fromFile, words[1])
		if err != nil {
			return cmd, err
		}
		cmd = reset.Command{Target: words[0], Offsets: offs}
	default:
		if len(words) < 3 {
			return cmd, fmt.Errorf("%[1]s takes a target, a group (or glob), optional topics and a to: offsetreset %[1]s TARGET GROUP [TOPIC[:P,P…]…] TO", verb)
		}
		cmd = reset.Command{Target: words[0], To: words[len(words)-1]}
		topics := words[2 : len(words)-1]
		if strings.Contains(cmd.To, "=") {
			if len(topics) > 0 {
				return cmd, fmt.Errorf("explicit offsets name their own topics: offsetreset %s TARGET GROUP topic:partition=offset,…", verb)
			}
			offs, err := chat.ParseOffsets(cmd.To)
			if err != nil {
				return cmd, err
			}
			cmd.To, cmd.Offsets = "", offs
		} else if err := addTopics(&cmd, topics); err != nil {
			return cmd, err
		}
	}
	// A group with glob characters names every matching group (the command's groups field).
	if strings.ContainsAny(words[1], "*?[") {
		cmd.Groups = []string{words[1]}
	} else {
		cmd.Group = words[1]
	}
	return cmd, nil
}

// addTopics sets the command's topics from TOPIC or TOPIC:P,P words; partitions can be named for
// a single topic only, as in the API.
func addTopics(cmd *reset.Command, words []string) error {
	for _, w := range words {
		topic, parts, err := chat.ParseTopic(w)
		if err != nil {
			return err
		}
		if len(parts) > 0 && len(words) > 1 {
			return fmt.Errorf("%q names partitions, which only works with one topic; run one command per topic", w)
		}
		cmd.Topics = append(cmd.Topics, topic)
		cmd.Partitions = parts
	}
	return nil
}

// csvHeader is the optional first line of an offsets file.
var csvHeader = []string{"topic", "partition", "offset"}

// readOffsetsFile reads explicit offsets from a CSV file in the format -o csv writes and
// kafka-consumer-groups --from-file reads: topic,partition,offset per line, or
// group,topic,partition,offset when the file covers several groups (then only group's rows are
// read). An optional header line and #-comments are skipped. Errors name the file and line.
func readOffsetsFile(path, group string) ([]reset.PartitionOffset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--from-file: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(io.LimitReader(f, reset.MaxRequestBytes))
	r.FieldsPerRecord, r.TrimLeadingSpace, r.Comment = -1, true, '#'
	var out []reset.PartitionOffset
	var others []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("--from-file %s: %v; write one topic,partition,offset per line", path, err)
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) == 4 {
			if strings.EqualFold(rec[0], "group") && len(out) == 0 {
				continue // the header of a several-groups file
			}
			if rec[0] != group {
				if !slices.Contains(others, rec[0]) {
					others = append(others, rec[0])
				}
				continue
			}
			rec = rec[1:]
		}
		if len(rec) != 3 {
			return nil, fmt.Errorf("--from-file %s line %d has %d fields; write topic,partition,offset (or group,topic,partition,offset)", path, line, len(rec))
		}
		if len(out) == 0 && slices.EqualFunc(rec, csvHeader, strings.EqualFold) {
			continue
		}
		p, err1 := strconv.ParseInt(rec[1], 10, 32)
		o, err2 := strconv.ParseInt(rec[2], 10, 64)
		if err1 != nil || err2 != nil || p < 0 || o < 0 {
			return nil, fmt.Errorf("--from-file %s line %d: partition %q and offset %q must be whole numbers ≥ 0", path, line, rec[1], rec[2])
		}
		out = append(out, reset.PartitionOffset{Topic: rec[0], Partition: int32(p), Offset: o})
	}
	if len(out) == 0 {
		if len(others) > 0 {
			return nil, fmt.Errorf("--from-file %s has no rows for group %s (it has rows for %s); name one of those groups", path, group, strings.Join(reset.FirstN(others, 5), ", "))
		}
		return nil, fmt.Errorf("--from-file %s has no offsets; write one topic,partition,offset per line (offsetreset status -o csv writes such a file)", path)
	}
	return out, nil
}
