package server

import "net/http"

// triggerRoutes are the chat and alert routes; each authenticates its own requests.
func (s *Service) triggerRoutes() map[string]http.HandlerFunc {
	routes := s.chatRoutes()
	for path, h := range s.alertRoutes() {
		routes[path] = h
	}
	return routes
}
