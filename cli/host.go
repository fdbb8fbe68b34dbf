package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/store"
)

// The session host: a wend process that runs one session without a terminal,
// serving it to terminal clients on <git dir>/wend/<id>/host.sock (remote/rpc).
// The interactive wend starts it (hostclient.go) detached in its own session
// (setsid), its output in host.log beside the socket, so closing the terminal
// or losing SSH reaches only the client: the session goes on to its next
// boundary and waits there (on_detach = "pause"), or goes on (on_detach =
// "continue"), and `wend attach` shows it again.

// hostOptions are what `wend host` needs.
type hostOptions struct {
	verbIO
	id     string // --session: the session to run
	resume bool   // --resume: reopen it from the store instead of starting it
	// assembly is what wiring the session takes from the invocation (globals.assembly).
	assembly func(ws *workspace, interactive bool) assemble.Options
	// ignoreHangup keeps the process alive when the terminal that started it
	// closes (signal.Ignore(SIGHUP)); a test leaves its own process alone.
	ignoreHangup func()
}

func newHostCmd(g *globals) *cobra.Command {
	var o hostOptions
	cmd := &cobra.Command{
		Use:    "host --session ID",
		Short:  "Run a session in the background for terminal clients (started by wend itself)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.assembly = g.verbIO(), g.assembly
			o.ignoreHangup = func() { signal.Ignore(syscall.SIGHUP) }
			return runHost(cmd.Context(), &o)
		},
	}
	cmd.Flags().StringVar(&o.id, "session", "", "the session's `ID`")
	cmd.Flags().BoolVar(&o.resume, "resume", false, "reopen a stored session instead of starting one")
	return cmd
}

// hostGrace is how long a host with no client and no running task waits for one
// before it exits: a client that just started it has not connected yet, and a
// user who quit may come back at once.
const hostGrace = 3 * time.Second

// sessionSocket is where the host of session id listens.
func sessionSocket(st *store.Store, id string) string {
	return filepath.Join(st.Dir(), id, rpc.SocketName)
}

// runHost is `wend host`: serve one session on its socket until no client
// needs it.
func runHost(ctx context.Context, o *hostOptions) error {
	id, resume := o.id, o.resume
	if id == "" {
		return usageErr("wend host needs --session ID; it is started by wend, not by hand")
	}
	// The terminal that started the host may close at any moment; that is the
	// client's business. SIGTERM and SIGINT (ctx) still end the session cleanly.
	o.ignoreHangup()
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	if ws.settings.Provider == "gitlab-duo" {
		return usageErr("a session host runs wend's own engine, not GitLab Duo")
	}
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return err
	}
	ao := o.assembly(ws, true)
	var ls *assemble.Session
	if resume {
		ls, err = assemble.Reopen(ctx, ao, id)
	} else {
		ao.ID = id // the process that started the host named the session
		ls, err = assemble.Open(ctx, ao)
	}
	if err != nil {
		return err
	}
	defer ls.Close()
	d := ls.Background(ctx, nil)
	l, err := rpc.Listen(sessionSocket(st, id))
	if err != nil {
		return err
	}
	h := &host{log: ls.Log, be: d, onDetach: ws.settings.OnDetach}
	opts := rpc.Options{Session: id, Review: d, OnDetach: h.detached}
	if p, err := ls.Pager(); err == nil && p != nil { // Open and Reopen always make a writer
		opts.Record = p // clients page their transcripts from the store
		defer p.Close()
	}
	srv := rpc.NewServer(d, opts)
	go srv.Serve(l)
	defer srv.Close()
	fmt.Fprintf(o.errOut, "wend host %s: serving %s (pid %d)\n", id, l.Addr(), os.Getpid())
	if resume && ls.Reopened.Killed {
		go d.Start(ctx, session.Task{Retry: true})
	}
	h.wait(ctx, srv)
	if h.running() {
		// Ended by a signal while a task runs: stopped at the next boundary, its
		// end recorded, as the in-process wend does.
		if d.Stop(context.Background()) == nil {
			<-d.Done()
		}
	}
	fmt.Fprintf(o.errOut, "wend host %s: exiting\n", id)
	return nil
}

// host watches its session's log and clients to know when it may go.
type host struct {
	log      *session.Log
	be       session.Backend
	onDetach string

	mu   sync.Mutex
	busy bool // a task has started and not finished
}

func (h *host) running() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.busy
}

// detached runs when the controlling client's connection closes.
func (h *host) detached() {
	if !h.running() {
		return
	}
	if h.onDetach == "continue" {
		h.log.Append(session.Notice{Level: "info", Text: `Your terminal detached; the session goes on (on_detach = "continue"). wend attach shows it again.`})
		return
	}
	h.log.Append(session.Notice{Level: "info", Text: `Your terminal detached: the session pauses at its next boundary (on_detach = "pause"); a running command finishes. Resume when you are back.`})
	h.be.Pause(context.Background())
}

// wait returns when ctx ends, or when no client is connected and no task runs
// for hostGrace (the session is then safe on disk, and `wend attach` or
// `wend resume` reopens it).
func (h *host) wait(ctx context.Context, srv *rpc.Server) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := h.log.Subscribe(ctx, 0)
	idle := time.NewTimer(hostGrace)
	defer idle.Stop()
	changed := srv.Changed()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			switch e.Payload.(type) {
			case session.SessionStarted:
				h.mu.Lock()
				h.busy = true
				h.mu.Unlock()
			case session.SessionFinished:
				h.mu.Lock()
				h.busy = false
				h.mu.Unlock()
			default:
				continue
			}
		case <-changed:
			changed = srv.Changed()
		case <-idle.C:
			if n, _ := srv.Clients(); n == 0 && !h.running() {
				return
			}
		}
		idle.Reset(hostGrace)
	}
}
