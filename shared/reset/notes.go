package reset

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

type notesKey struct{}

type noteSink struct {
	mu    sync.Mutex
	notes []string
}

// AddNote records a fact for the Result's notes (e.g. "retried 3 times after Throttling.User")
// from deep inside a provider; it does nothing when ctx carries no sink.
func AddNote(ctx context.Context, format string, args ...any) {
	s, _ := ctx.Value(notesKey{}).(*noteSink)
	if s == nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.notes, msg) && len(s.notes) < 50 {
		s.notes = append(s.notes, msg)
	}
}

func withNotes(ctx context.Context) (context.Context, *noteSink) {
	s := &noteSink{}
	return context.WithValue(ctx, notesKey{}, s), s
}

func (s *noteSink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notes
	s.notes = nil
	return n
}
