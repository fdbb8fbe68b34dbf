package duo

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
)

// Kind classifies a failure by what the caller should do about it.
type Kind int

const (
	// KindOther is anything not classified below; not retryable.
	KindOther Kind = iota
	// KindUnavailable: the connection dropped, Workhorse closed with 1001 (server
	// shutdown, DWS unavailable), or gRPC UNAVAILABLE. Retryable: open a new stream
	// on the same workflow (see Reconnect).
	KindUnavailable
	// KindInvalid: the service rejected the request (WebSocket close 4400, gRPC
	// INVALID_ARGUMENT or FAILED_PRECONDITION, a message over 4 MiB). Reason carries
	// the service's words. Retrying the same request fails the same way.
	KindInvalid
	// KindQuota: the usage quota is exhausted (close 1008, USAGE_QUOTA_EXCEEDED).
	KindQuota
	// KindUnauthorized: the token was refused (HTTP 401, gRPC UNAUTHENTICATED).
	KindUnauthorized
	// KindForbidden: the token, the user's role or the instance's Duo settings do
	// not allow this (HTTP 403, gRPC PERMISSION_DENIED).
	KindForbidden
	// KindNotFound: the endpoint or the workflow/project does not exist (HTTP 404).
	KindNotFound
	// KindRateLimited: HTTP 429. Retryable after a pause.
	KindRateLimited
	// KindMalformed: a frame that is not a protojson message.
	KindMalformed
	// KindServer: the service failed (HTTP 5xx, gRPC INTERNAL). Not retried
	// automatically: DWS reports workflow failures this way too.
	KindServer
)

var kindNames = [...]string{"error", "unavailable", "invalid request", "usage quota exceeded",
	"unauthorized", "forbidden", "not found", "rate limited", "malformed frame", "server error"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is every failure this package reports about the service: REST calls, the
// WebSocket upgrade and close codes, and gRPC statuses. Use errors.As, KindOf or
// IsRetryable rather than matching text.
type Error struct {
	Kind Kind
	// Op names what failed: "create workflow", "open websocket", "recv", ...
	Op string
	// HTTPStatus is set for REST and upgrade failures.
	HTTPStatus int
	// CloseCode is set when a WebSocket closed with a close frame.
	CloseCode int
	// GRPCCode is set for gRPC failures (codes.OK otherwise).
	GRPCCode codes.Code
	// Reason is the service's own words: the close reason, the gRPC message or
	// the REST body's message.
	Reason string
	// Hint says what to check, from what the protocol documents.
	Hint string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("duo: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	switch {
	case e.HTTPStatus != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	case e.CloseCode != 0:
		fmt.Fprintf(&b, " (close %d)", e.CloseCode)
	case e.GRPCCode != codes.OK:
		fmt.Fprintf(&b, " (gRPC %s)", e.GRPCCode)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil && (e.Reason == "" || !strings.Contains(e.Err.Error(), e.Reason)) {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether opening a new stream on the same workflow may succeed.
func (e *Error) Retryable() bool {
	return e.Kind == KindUnavailable || e.Kind == KindRateLimited
}

// KindOf returns the Kind of the first *Error in err's chain, or KindOther.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// IsRetryable reports whether err is a *Error that is worth retrying.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// Hints, from DUO-WORKFLOW.md §2. They are deliberately specific about which of
// the possible causes applies to which endpoint.
const (
	hintUnauthorized    = "the token is missing, expired or revoked; use a personal access token with the api scope"
	hintForbiddenCreate = "possible causes: an ai_workflows-only OAuth token cannot create workflows or call direct_access (use a token with the api scope); " +
		"otherwise the user lacks access to the project, or GitLab Duo (Agent Platform) is not enabled for it or its top-level group"
	hintForbiddenWS = "possible causes: Workhorse checks that Origin matches the instance; otherwise the token cannot open this workflow " +
		"(api or ai_workflows scope needed), the workflow belongs to another user, or Duo Agent Platform is off for the project"
	hintForbiddenGRPC = "DWS refused the token or Rails refused to start the workflow; direct gRPC connections are deprecated " +
		"and may be rejected by the instance; use the WebSocket transport"
	hintNotFound = "the instance has no Duo Agent Platform API (/api/v4/ai/duo_workflows): it needs GitLab EE " +
		"with GitLab Duo and the Duo Agent Platform turned on, and 18.7 or later for client capabilities; or the project/workflow does not exist or is not visible to the token"
	hintQuota     = "the GitLab Duo usage quota is exhausted; wait for it to reset or ask an administrator"
	hintDropped   = "the connection dropped; open a new stream on the same workflow"
	hintRateLimit = "direct_access is rate-limited; wait and retry"
)
