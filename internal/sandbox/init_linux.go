//go:build linux

package sandbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// exitSetup is the init's exit code when it could not build the sandbox (the
// reason went to the status pipe).
const exitSetup = 125

// runInit is the init: PID 1 of the sandbox's PID namespace, root of its own
// user namespace (mapped to the user who ran wend), so it may mount. It sets
// up the file system and network, starts the command, reaps every orphan, and
// exits with the command's status. Its exit makes the kernel kill whatever is
// left in the namespace.
func runInit(arg string) int {
	// fds 3 and 4 come from Start; the command must inherit neither.
	unix.CloseOnExec(3)
	unix.CloseOnExec(4)
	status := os.NewFile(3, "sandbox-status")
	lifeline := os.NewFile(4, "sandbox-lifeline")
	fail := func(err error) int {
		fmt.Fprintf(status, "%v", err)
		status.Close()
		return exitSetup
	}
	// wend's death kills the init, and with it the namespace: the death signal
	// for the common case, the lifeline for a wend that died before this line.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fail(fmt.Errorf("setting the parent-death signal: %w", err))
	}
	go func() {
		_, _ = io.Copy(io.Discard, lifeline)
		os.Exit(128 + int(unix.SIGKILL))
	}()
	// Not dumpable: the command may not ptrace the init or read its memory.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)

	var sp spec
	if err := json.Unmarshal([]byte(arg), &sp); err != nil || len(sp.Argv) == 0 {
		return fail(fmt.Errorf("bad sandbox spec: %v", err))
	}
	if err := isolateFiles(sp); err != nil {
		return fail(err)
	}
	if !sp.Network {
		if err := loopbackUp(); err != nil {
			return fail(err)
		}
	}
	// The command runs in a nested user namespace where it is the user who
	// ran wend: it holds no capability in the namespace that owns the mounts,
	// so it can neither unmount what hides a secret nor remount a read-only
	// path writable.
	p, err := os.StartProcess(sp.Argv[0], sp.Argv, &os.ProcAttr{
		Dir: sp.Dir, Env: os.Environ(), Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys: &syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: sp.UID, HostID: 0, Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: sp.GID, HostID: 0, Size: 1}},
		},
	})
	if err != nil {
		return fail(fmt.Errorf("starting the command in the sandbox: %w", err))
	}
	status.Close() // ready: Start returns
	return reap(p.Pid)
}

// reap waits for every child (orphans are re-parented to PID 1) until the
// command's shell exits, and returns its exit status the way a shell reports
// it (128+signal for a signal).
func reap(shell int) int {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return exitSetup
		}
		if pid != shell {
			continue
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

// isolateFiles builds the command's view of the file system in the init's
// private mount namespace: everything read-only, the writable paths rebound
// writable, the guarded git files read-only again, the denied paths covered
// by empty ones, and a /proc of this PID namespace only.
func isolateFiles(sp spec) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the mounts private: %w", err)
	}
	if err := setReadOnly("/", true, true); err != nil {
		return err
	}
	for i, w := range sp.Writable {
		if i == 0 && sp.Capture != "" && captureRoot(w, sp.Capture) == nil {
			continue // the repository is the capturing overlay (capture_linux.go)
		}
		if err := unix.Mount(w, w, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("binding %s: %w", w, err)
		}
		if err := setReadOnly(w, false, false); err != nil {
			return err
		}
	}
	for _, r := range sp.ReadOnly {
		if err := unix.Mount(r, r, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("binding %s: %w", r, err)
		}
		if err := setReadOnly(r, true, true); err != nil {
			return err
		}
	}
	for _, d := range sp.Deny {
		if containsAny(d, sp.Writable) {
			continue // hiding it would hide the repository the command works in
		}
		if err := hide(d); err != nil {
			return err
		}
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting a /proc for the sandbox's PID namespace: %w", err)
	}
	// Programs that share memory (POSIX shm, Python's multiprocessing) need
	// a writable /dev/shm; a private one shares nothing with the host.
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if err := unix.Mount("tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
			return fmt.Errorf("mounting a private /dev/shm: %w", err)
		}
	}
	return nil
}

// setReadOnly sets or clears the read-only flag of the mount at path (and of
// every mount below it when recursive). mount_setattr (Linux 5.12) does it
// atomically for a whole tree; older kernels remount each mount in turn.
func setReadOnly(path string, ro, recursive bool) error {
	attr := &unix.MountAttr{}
	if ro {
		attr.Attr_set = unix.MOUNT_ATTR_RDONLY
	} else {
		attr.Attr_clr = unix.MOUNT_ATTR_RDONLY
	}
	var flags uint
	if recursive {
		flags = unix.AT_RECURSIVE
	}
	err := unix.MountSetattr(unix.AT_FDCWD, path, flags, attr)
	if errors.Is(err, unix.ENOSYS) {
		err = remountEach(path, ro, recursive)
	}
	if err != nil {
		what := "read-only"
		if !ro {
			what = "writable"
		}
		return fmt.Errorf("making %s %s: %w", path, what, err)
	}
	return nil
}

// remountEach is setReadOnly for kernels without mount_setattr. A remount in a
// user namespace must keep the flags the owner locked (nosuid, nodev, noexec,
// atime), so they are read back with statfs and passed along.
func remountEach(path string, ro, recursive bool) error {
	targets := []string{path}
	if recursive {
		var err error
		if targets, err = mountsUnder(path); err != nil {
			return err
		}
	}
	for _, t := range targets {
		var st unix.Statfs_t
		if err := unix.Statfs(t, &st); err != nil {
			continue // covered by a later mount, or gone
		}
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT)
		for _, f := range [][2]uintptr{
			{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
			{unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
		} {
			if uintptr(st.Flags)&f[0] != 0 {
				flags |= f[1]
			}
		}
		if ro {
			flags |= unix.MS_RDONLY
		}
		if err := unix.Mount("", t, "", flags, ""); err != nil {
			return fmt.Errorf("remounting %s: %w", t, err)
		}
	}
	return nil
}

// mountsUnder lists the mount points at or below path, from mountinfo.
func mountsUnder(path string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountPath(fields[4])
		if mp == path || path == "/" || strings.HasPrefix(mp, path+"/") {
			out = append(out, mp)
		}
	}
	return out, sc.Err()
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hide covers a denied path: a directory with an empty read-only tmpfs, any
// other file (a key, a socket) with a read-only /dev/null.
func hide(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil // gone since Start looked
	}
	if fi.IsDir() {
		if err := unix.Mount("wend-denied", path, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,mode=0500"); err != nil {
			return fmt.Errorf("hiding %s: %w", path, err)
		}
		return nil
	}
	if err := unix.Mount("/dev/null", path, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("hiding %s: %w", path, err)
	}
	return setReadOnly(path, true, false)
}

// containsAny reports whether dir is one of paths or a parent of one.
func containsAny(dir string, paths []string) bool {
	for _, p := range paths {
		if p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/") {
			return true
		}
	}
	return false
}

// loopbackUp brings up lo in the new network namespace, so servers a command
// starts for its own tests are reachable on 127.0.0.1; nothing else is.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bringing up loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up loopback: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing up loopback: %w", err)
	}
	return nil
}
