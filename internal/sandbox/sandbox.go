// Package sandbox runs a shell command isolated from the user's machine: writes
// only in the repository and a private temporary directory, no reading of the
// user's keys and wend's own config, no network, and no process that outlives
// the command or wend (security finding 9).
//
// On Linux it needs no external tool: wend starts itself again as a small init
// (the hidden argument InitArg, dispatched by Main before anything else runs) in
// new user, mount, PID and network namespaces. The init makes the file system
// read-only except for the writable paths, hides the denied paths, mounts a
// /proc that shows only the sandbox's processes, brings up loopback, and runs
// the command as PID 2 in a nested user namespace that holds no capability over
// those mounts, so the command cannot undo them. When the init exits (the
// command ended, wend killed it, or wend died) the kernel kills every process
// left in the PID namespace, setsid daemons included.
package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// InitArg is the first argument that makes a binary run the sandbox init
// instead of its own main. Main checks for it.
const InitArg = "__sandbox-init"

// Main runs the sandbox init and exits when the process was started as one
// (os.Args[1] is InitArg); otherwise it returns at once. Call it first in
// main, before anything else starts goroutines or reads config, and in the
// TestMain of tests whose Sandbox.InitPath is the test binary.
func Main() {
	if len(os.Args) >= 3 && os.Args[1] == InitArg {
		os.Exit(runInit(os.Args[2]))
	}
}

// ErrUnavailable wraps every error that says the kernel (or the container wend
// runs in) cannot build the sandbox, as opposed to a command that failed.
var ErrUnavailable = errors.New("the command sandbox is unavailable")

// Sandbox says how commands are isolated. The zero value is usable: the init
// is the running binary, only the built-in secret paths are hidden, and the
// network is off. It is safe for concurrent use.
type Sandbox struct {
	// InitPath is the binary that dispatches InitArg to Main (wend itself, or
	// a test binary whose TestMain calls Main). Empty means os.Executable.
	InitPath string
	// DenyRead are paths (files or directories, "~/" allowed) hidden from the
	// command besides DefaultDenyRead's. Paths that do not exist are skipped.
	DenyRead []string
	// Writable are directories ("~/" allowed) the command may write besides
	// the repository, its private temporary directory and the build caches
	// (CacheDirs). One inside a denied path is ignored.
	Writable []string
	// Network keeps the host's network; false gives the command a network
	// namespace with only loopback.
	Network bool
	// Required is for the caller: when the sandbox is unavailable, refuse to
	// run commands rather than run them unsandboxed with a notice.
	Required bool

	probeOnce sync.Once
	probeErr  error
	told      atomic.Bool
}

// Options are what changes from one command to the next.
type Options struct {
	// Root is the repository (or worktree) root: writable, except for the git
	// files that would run code outside the sandbox later (see gitGuarded).
	Root string
	// Network keeps the host's network for this command even when the
	// Sandbox's Network is false (an approval granted it).
	Network bool
	// Capture, when not nil, records the command's writes to Root apart
	// from the live tree (capture.go); the caller reads and closes it after
	// the command.
	Capture *Capture
}

// Limits is the one-line description of what a sandboxed command cannot do,
// for approval requests: "writes only in the repository, $TMPDIR and build
// caches, no network, no access to ~/.ssh, ~/.config/wend, …".
func (s *Sandbox) Limits() string { return s.LimitsFor(Options{}) }

// LimitsFor is Limits for one command run with opt: with opt.Network (a
// command the user let reach the network) it does not say "no network".
func (s *Sandbox) LimitsFor(opt Options) string {
	parts := []string{"writes only in the repository, $TMPDIR and build caches"}
	if !s.Network && !opt.Network {
		parts = append(parts, "no network")
	}
	home, _ := os.UserHomeDir()
	var shown []string
	for _, p := range s.denyList(home) {
		if len(shown) == 4 {
			shown = append(shown, "…")
			break
		}
		if rel, err := filepath.Rel(home, p); home != "" && err == nil && !strings.HasPrefix(rel, "..") {
			p = "~/" + rel
		}
		shown = append(shown, p)
	}
	parts = append(parts, "no access to "+strings.Join(shown, ", "))
	return strings.Join(parts, ", ")
}

// DefaultDenyRead are the paths under home that hold credentials every command
// is denied: SSH, GnuPG and cloud keys, git and netrc credentials, wend's own
// config, and the per-user runtime directory (agent and bus sockets). wend's
// key files named in its config are added by the caller.
func DefaultDenyRead(home string) []string {
	var out []string
	for _, rel := range []string{
		".ssh", ".config/wend", ".gnupg", ".aws", ".azure", ".netrc", ".git-credentials", ".docker",
		".kube", ".password-store", ".config/gcloud", ".config/gh",
		".config/glab-cli", ".config/git/credentials", ".local/state/wend",
	} {
		out = append(out, filepath.Join(home, rel))
	}
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		out = append(out, filepath.Join(d, "wend"))
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		out = append(out, filepath.Join(d, "wend"))
	}
	// Unix sockets are reachable through the file system whatever the network
	// namespace: the SSH agent and Docker's socket each hand out far more than
	// a file could.
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		out = append(out, d)
	}
	if s := os.Getenv("SSH_AUTH_SOCK"); s != "" {
		out = append(out, s)
	}
	return append(out, "/run/docker.sock", "/var/run/docker.sock")
}

// denyList is DefaultDenyRead plus DenyRead, with "~/" expanded.
func (s *Sandbox) denyList(home string) []string {
	out := DefaultDenyRead(home)
	for _, p := range s.DenyRead {
		if strings.HasPrefix(p, "~/") && home != "" {
			p = filepath.Join(home, p[2:])
		}
		if filepath.IsAbs(p) {
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}

// initPath is the binary to start as the init.
func (s *Sandbox) initPath() (string, error) {
	if s.InitPath != "" {
		return s.InitPath, nil
	}
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("%w: cannot find wend's own binary to start the sandbox: %v", ErrUnavailable, err)
	}
	return p, nil
}

// spec is what the init needs, passed as JSON in its argv (it holds paths,
// never secrets).
type spec struct {
	Argv     []string `json:"argv"`
	Dir      string   `json:"dir"`
	Writable []string `json:"writable"`
	ReadOnly []string `json:"read_only"` // inside writable ones
	Deny     []string `json:"deny"`
	Network  bool     `json:"network"`
	UID      int      `json:"uid"`
	GID      int      `json:"gid"`

	// Capture is the capture directory (capture_linux.go) when the
	// repository, the first Writable, is mounted as a capturing overlay.
	Capture string `json:"capture,omitempty"`
}

// Available reports whether commands can be sandboxed here: nil, or an error
// wrapping ErrUnavailable that names what the kernel refused. It runs one
// trivial sandboxed command the first time and remembers the answer.
func (s *Sandbox) Available() error {
	s.probeOnce.Do(func() { s.probeErr = s.probe() })
	return s.probeErr
}

// Unavailable is Available for a caller that runs commands unsandboxed when
// the sandbox is missing: tell is true only the first time it reports an
// error, so the user is told once rather than on every command.
func (s *Sandbox) Unavailable() (tell bool, err error) {
	if err = s.Available(); err == nil {
		return false, nil
	}
	return s.told.CompareAndSwap(false, true), err
}
