// Package session holds wend's domain: sessions, plans and steps, the events that
// record everything that happens, the controls a user can send, and the Backend port
// the terminal UI drives. It imports nothing of wend's own, so both engines (wend's
// agent loop and GitLab's Duo Workflow Service) and every front end (TUI, headless
// run, gRPC service) share one vocabulary.
//
// Everything here is plain, serialisable data: events are the source of truth, they
// are persisted as JSON lines and may cross a process boundary.
package session
