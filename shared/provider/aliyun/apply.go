package aliyun

import "offsetreset/shared/reset"

// EachTopic applies the moves of a whole-topic backend (one move per topic, as alirocketmq and
// alirocketmq5 plan them) with one write each, in order. A failed write fails its move; when no
// write succeeded nothing was written, and the first error is returned instead of outcomes.
func EachTopic(moves []reset.Move, write func(topic string) error) ([]reset.Outcome, error) {
	out := make([]reset.Outcome, len(moves))
	done := 0
	var first error
	for i, m := range moves {
		err := write(m.Topic)
		if err == nil {
			done++
			continue
		}
		if first == nil {
			first = err
		}
		out[i].Err = err
	}
	if done == 0 && first != nil {
		return nil, first
	}
	return out, nil
}
