package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/store"
	"gitlab.com/wend/wend/session/tools"
	"gitlab.com/wend/wend/ui"
)

// hostStartTimeout bounds the wait for a new host's socket.
const hostStartTimeout = 20 * time.Second

// liveHosts lists the sessions of this repository whose host answers now,
// newest first (session ids sort by their start time).
func liveHosts(ctx context.Context, st *store.Store) []string {
	entries, err := os.ReadDir(st.Dir())
	if err != nil {
		return nil
	}
	var ids []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sock := sessionSocket(st, e.Name())
		if _, err := os.Lstat(sock); err == nil && rpc.Served(ctx, sock) {
			ids = append(ids, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	return ids
}

// detachedHost is the newest session whose host runs with no terminal driving
// it: plain wend picks it up. A session another terminal drives is left to
// it (wend attach watches it); plain wend then starts a session of its own.
func detachedHost(ctx context.Context, st *store.Store) string {
	for _, id := range liveHosts(ctx, st) {
		if hs, err := rpc.Probe(ctx, sessionSocket(st, id)); err == nil && !hs.Controlled {
			return id
		}
	}
	return ""
}

// startHost starts `wend host` for session id, detached from this terminal,
// and returns once its socket answers. Its output goes to host.log beside it.
func startHost(ctx context.Context, g *globals, st *store.Store, id string, resume bool) (string, error) {
	dir := filepath.Join(st.Dir(), id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the session directory: %w", err)
	}
	logPath := filepath.Join(dir, "host.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", fmt.Errorf("opening the host's log: %w", err)
	}
	defer logf.Close()
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding wend's own binary to start the session host: %w", err)
	}
	args := append(passedFlags(g.flags), "host", "--session", id)
	if resume {
		args = append(args, "--resume")
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = hostEnv(g.env)
	// Its own session: no controlling terminal, so the terminal's hangup and
	// its ctrl+c never reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting the session host: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() // reaps it if it ends while we run
	sock := sessionSocket(st, id)
	deadline := time.Now().Add(hostStartTimeout)
	for !rpc.Served(ctx, sock) {
		select {
		case <-exited:
			return "", fmt.Errorf("the session host ended at start:\n%s", tail(logPath, 2000))
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the session host did not answer within %s (its log: %s)", hostStartTimeout, logPath)
		}
	}
	return sock, nil
}

// passedFlags are the global flags the user set, for the host to get the same
// settings.
func passedFlags(f *pflag.FlagSet) []string {
	var out []string
	if f == nil {
		return nil
	}
	// VisitAll and Changed: cobra parses into a merged set, so the persistent
	// set's own Visit sees nothing.
	f.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed {
			out = append(out, "--"+fl.Name+"="+fl.Value.String())
		}
	})
	return out
}

// hostEnv is this process's environment with the credentials wend took out of
// it at start (cli/wiring.go) put back, for the host to take out again.
func hostEnv(getenv func(string) string) []string {
	env := os.Environ()
	for _, name := range tools.DefaultStripEnv {
		if v := getenv(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	return env
}

// tail is the end of a file, for an error message.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(bytes.TrimSpace(data))
}

// runHosted is the interactive wend with `host = true`: the UI is a client of
// the repository's detached session host, or of a new one.
func runHosted(ctx context.Context, g *globals, ws *workspace, opts ui.Options) error {
	st, err := assemble.Store(ctx, ws.repo)
	if err != nil {
		return err
	}
	var sock string
	if id := detachedHost(ctx, st); id != "" {
		sock = sessionSocket(st, id)
	} else {
		id := assemble.NewSessionID(time.Now())
		if p := sessionSocket(st, id); len(p) > rpc.MaxSocketPath {
			return &hostUnavailable{fmt.Errorf("the session's socket path would be %d bytes, more than a Unix socket allows (%d)", len(p), rpc.MaxSocketPath)}
		}
		if sock, err = startHost(ctx, g, st, id, false); err != nil {
			return &hostUnavailable{err}
		}
	}
	return attachUI(ctx, g, sock, opts)
}

// hostUnavailable is a session host that could not be started; the
// interactive wend then runs the session in its own process.
type hostUnavailable struct{ err error }

func (e *hostUnavailable) Error() string { return "no session host: " + e.err.Error() }
func (e *hostUnavailable) Unwrap() error { return e.err }

// attachUI runs the UI as a client of the host at sock. Quitting the UI stops
// the session's task (as the in-process UI does); losing the terminal (a
// signal: SIGHUP, SIGTERM) only detaches, and the host carries on.
func attachUI(ctx context.Context, g *globals, sock string, opts ui.Options) error {
	c, err := rpc.Dial(ctx, sock, !opts.ReadOnly)
	if err != nil {
		return fmt.Errorf("attaching to the session host at %s: %w", sock, err)
	}
	defer c.Close()
	opts.Review = c
	opts.ReadOnly = c.Role() == rpc.RoleWatch
	if opts.ReadOnly {
		opts.Task = "" // a watcher starts nothing
	}
	err = ui.Run(ctx, c, opts)
	if ctx.Err() != nil {
		return nil // detached: the host goes on
	}
	if !opts.ReadOnly {
		// The host records the end and stays until the task has stopped.
		c.Stop(context.Background())
	}
	tellWaiting(g.stdout, c.Session(), c) // quitnote.go
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// attachTo finds the socket for `wend attach [ID]`: the named session's host,
// or the newest running one; a named session whose host is gone is reopened
// in a new host, as `wend resume` would reopen it in the terminal.
func attachTo(ctx context.Context, g *globals, st *store.Store, args []string) (string, error) {
	if len(args) == 0 {
		if ids := liveHosts(ctx, st); len(ids) > 0 {
			return sessionSocket(st, ids[0]), nil
		}
		id, _, err := pickContinued(st, nil)
		if err != nil {
			return "", err
		}
		args = []string{id}
	}
	id := args[0]
	sock := sessionSocket(st, id)
	if rpc.Served(ctx, sock) {
		return sock, nil
	}
	if _, err := os.Stat(filepath.Join(st.Dir(), id, "events.jsonl")); err != nil {
		return "", usageErr("no session %q in this repository (see wend sessions)", id)
	}
	if list, _ := st.List(); runningElsewhere(list, id) {
		return "", usageErr("session %s is open in another wend without a session host (host = false); quit it there first", id)
	}
	sock, err := startHost(ctx, g, st, id, true)
	if err != nil {
		return "", &hostUnavailable{err}
	}
	return sock, nil
}

// runningElsewhere reports whether id is running in a process that is not a host
// (an in-process wend): attaching would take its session from under it.
func runningElsewhere(list []store.Summary, id string) bool {
	for _, s := range list {
		if s.ID == id {
			return s.State == session.StateRunning || s.State == session.StatePaused || s.State == session.StateWaiting
		}
	}
	return false
}
