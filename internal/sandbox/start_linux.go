//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// Start rewrites cmd (Path, Args, Dir, Env, Stdout and Stderr already set by
// the caller) to run inside the sandbox, starts it, and returns once the
// sandbox is set up and the command is running. cmd.Process is then the init:
// it leads a new process group, and killing that group, or the init alone,
// kills every process of the command, however it detached. The caller waits
// with cmd.Wait as usual and then calls cleanup, which removes the private
// temporary directory and cuts the init's lifeline.
//
// An error wrapping ErrUnavailable says the sandbox could not be built here;
// cmd was not started.
func (s *Sandbox) Start(cmd *exec.Cmd, opt Options) (cleanup func(), err error) {
	if cmd.Err != nil {
		return nil, cmd.Err // the shell was not found: not the sandbox's fault
	}
	initPath, err := s.initPath()
	if err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(opt.Root)
	if err != nil {
		return nil, fmt.Errorf("sandbox: repository root: %w", err)
	}
	tmp, err := os.MkdirTemp("", "wend-cmd-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: private temporary directory: %w", err)
	}
	tmp, _ = filepath.EvalSymlinks(tmp)
	removeTmp := func() { _ = os.RemoveAll(tmp) }

	home, _ := os.UserHomeDir()
	sp := spec{
		Argv: append([]string{cmd.Path}, cmd.Args[1:]...), Dir: cmd.Dir,
		Writable: []string{root, tmp}, Network: s.Network || opt.Network,
		UID: os.Getuid(), GID: os.Getgid(),
	}
	if sp.Dir == "" {
		sp.Dir = root
	}
	common, guarded := gitGuarded(root)
	if common != "" && !within(common, root) {
		sp.Writable = append(sp.Writable, common) // a worktree's objects and refs
	}
	sp.ReadOnly = append(guarded, repositoryConfigs(root)...) // writable.go
	if opt.Capture != nil && opt.Capture.prepare(root, common) == nil {
		sp.Capture = opt.Capture.dir // capture_linux.go; without it, root is bound writable
	}
	for _, d := range s.denyList(home) {
		// The kernel follows symlinks when it mounts over a path, which hides
		// the real file; resolving here only skips what does not exist.
		if r, err := filepath.EvalSymlinks(d); err == nil {
			sp.Deny = append(sp.Deny, r)
		}
	}
	sp.Writable = append(sp.Writable, s.extraWritable(home, sp.Deny)...) // writable.go
	arg, err := json.Marshal(sp)
	if err != nil {
		removeTmp()
		return nil, err
	}

	// status carries the init's setup error (or nothing: EOF means ready).
	// lifeline is held open by wend only: when wend dies, however, the init
	// reads EOF and exits, and the kernel kills the namespace with it.
	statusR, statusW, err := os.Pipe()
	if err != nil {
		removeTmp()
		return nil, err
	}
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		statusR.Close()
		statusW.Close()
		removeTmp()
		return nil, err
	}
	cmd.Path = initPath
	cmd.Args = []string{initPath, InitArg, string(arg)}
	cmd.Dir = "/"
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(withoutVar(env, "TMPDIR"), "TMPDIR="+tmp)
	cmd.ExtraFiles = []*os.File{statusW, lifeR} // fds 3 and 4
	flags := uintptr(syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID)
	if !sp.Network {
		flags |= syscall.CLONE_NEWNET
	}
	// Not SysProcAttr.Pdeathsig: Go's child compares getppid() with wend's
	// pid to catch a parent that already died, and in a new PID namespace
	// getppid() is 0, so the init would kill itself at once. The init sets
	// the death signal itself and also watches the lifeline.
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:     true,
		Cloneflags:  flags,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: sp.UID, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: sp.GID, Size: 1}},
	}
	startErr := cmd.Start()
	statusW.Close()
	lifeR.Close()
	if startErr != nil {
		statusR.Close()
		lifeW.Close()
		removeTmp()
		if errors.Is(startErr, fs.ErrNotExist) || errors.Is(startErr, syscall.EACCES) {
			return nil, fmt.Errorf("%w: cannot start the sandbox init %s: %v", ErrUnavailable, initPath, startErr)
		}
		return nil, fmt.Errorf("%w: cannot create namespaces (user, mount, pid, net): %v", ErrUnavailable, startErr)
	}
	msg, _ := io.ReadAll(statusR)
	statusR.Close()
	if len(msg) > 0 {
		lifeW.Close()
		_ = cmd.Wait()
		removeTmp()
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, strings.TrimSpace(string(msg)))
	}
	if sp.Capture != "" {
		opt.Capture.finish()
	}
	return func() {
		lifeW.Close()
		removeTmp()
	}, nil
}

// gitGuarded finds the repository's git directories and lists the paths in
// them a command must not change because git would run what they say outside
// the sandbox later: config (core.fsmonitor, aliases, filters), hooks, and
// wend's own session records. common is the common git directory.
func gitGuarded(root string) (common string, guarded []string) {
	gitDir := filepath.Join(root, ".git")
	info, err := os.Lstat(gitDir)
	if err != nil {
		return "", nil
	}
	common = gitDir
	if !info.IsDir() { // a worktree: "gitdir: <main>/.git/worktrees/<name>"
		b, err := os.ReadFile(gitDir)
		if err != nil {
			return "", nil
		}
		wt := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(b)), "gitdir:"))
		if !filepath.IsAbs(wt) {
			wt = filepath.Join(root, wt)
		}
		common = wt
		if c, err := os.ReadFile(filepath.Join(wt, "commondir")); err == nil {
			cd := strings.TrimSpace(string(c))
			if !filepath.IsAbs(cd) {
				cd = filepath.Join(wt, cd)
			}
			common = cd
		}
		guarded = append(guarded, filepath.Join(wt, "config.worktree"))
	}
	if r, err := filepath.EvalSymlinks(common); err == nil {
		common = r
	}
	// A missing hooks directory could be created and filled by the command.
	_ = os.Mkdir(filepath.Join(common, "hooks"), 0o755)
	for _, name := range []string{"config", "hooks", "wend"} {
		guarded = append(guarded, filepath.Join(common, name))
	}
	var existing []string
	for _, g := range guarded {
		if _, err := os.Lstat(g); err == nil {
			existing = append(existing, g)
		}
	}
	return common, existing
}

func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func withoutVar(env []string, name string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return out
}

// probe runs `true` sandboxed in an empty directory.
func (s *Sandbox) probe() error {
	dir, err := os.MkdirTemp("", "wend-probe-")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("/bin/sh", "-c", "true")
	cleanup, err := s.Start(cmd, Options{Root: dir})
	if err != nil {
		return err
	}
	err = cmd.Wait()
	cleanup()
	if err != nil {
		return fmt.Errorf("%w: a trivial sandboxed command failed: %v", ErrUnavailable, err)
	}
	return nil
}
