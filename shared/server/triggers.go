package server

import "net/http"

// triggerRoutes are the chat and alert routes; each authenticates its own requests.
func (s *Service) triggerRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{}
}
