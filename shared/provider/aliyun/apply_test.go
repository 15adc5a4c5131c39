package aliyun

import (
	"errors"
	"testing"

	"offsetreset/shared/reset"
)

func TestEachTopic(t *testing.T) {
	moves := []reset.Move{{Topic: "a", Partition: -1}, {Topic: "b", Partition: -1}, {Topic: "c", Partition: -1}}
	failB := errors.New("b failed")
	var order []string
	out, err := EachTopic(moves, func(topic string) error {
		order = append(order, topic)
		if topic == "b" {
			return failB
		}
		return nil
	})
	if err != nil || len(out) != 3 || out[0].Err != nil || out[1].Err != failB || out[2].Err != nil {
		t.Fatalf("one failed write: %+v %v", out, err)
	}
	if len(order) != 3 || order[0] != "a" || order[2] != "c" {
		t.Errorf("writes %v, want every topic in order", order)
	}
	first := errors.New("first")
	out, err = EachTopic(moves, func(topic string) error {
		if topic == "a" {
			return first
		}
		return errors.New("later")
	})
	if err != first || out != nil {
		t.Errorf("no write succeeded: %+v %v, want the first error alone", out, err)
	}
}
