package repo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

const (
	maxMakeTargets = 20
	maxScripts     = 20
	maxCIJobs      = 30
	// maxManifest bounds how much of a build file is read.
	maxManifest = 256 << 10
)

// detectCommands looks at the build files at the root and returns the commands
// they imply, in a fixed order (Go, Make, Node, Rust, Python, Ruby), and the
// GitLab CI job names.
func detectCommands(root string, files []string) ([]Command, []string) {
	has := func(name string) bool { return Known(files, name) }
	read := func(name string) []byte {
		if !has(name) {
			return nil
		}
		f, err := os.Open(filepath.Join(root, name))
		if err != nil {
			return nil
		}
		defer f.Close()
		b := make([]byte, maxManifest)
		n, _ := io.ReadFull(f, b)
		return b[:n]
	}
	var cmds []Command
	add := func(src string, runs ...string) {
		for _, r := range runs {
			cmds = append(cmds, Command{Run: r, Source: src})
		}
	}
	if has("go.mod") {
		add("go.mod", "go build ./...", "go test ./...", "go vet ./...")
	}
	for _, mk := range []string{"Makefile", "GNUmakefile", "makefile"} {
		if data := read(mk); data != nil {
			for _, t := range makeTargets(data) {
				add(mk, "make "+t)
			}
			break
		}
	}
	if data := read("package.json"); data != nil {
		runner := "npm"
		switch {
		case has("pnpm-lock.yaml"):
			runner = "pnpm"
		case has("yarn.lock"):
			runner = "yarn"
		case has("bun.lockb"), has("bun.lock"):
			runner = "bun"
		}
		for _, s := range packageScripts(data) {
			add("package.json", runner+" run "+s)
		}
	}
	if has("Cargo.toml") {
		add("Cargo.toml", "cargo build", "cargo test")
	}
	if py := pythonTests(read); py != "" {
		add(py, "pytest")
	}
	if has("tox.ini") {
		add("tox.ini", "tox")
	}
	if has("Gemfile") {
		if has("Rakefile") {
			add("Rakefile", "bundle exec rake")
		} else {
			add("Gemfile", "bundle install")
		}
	} else if has("Rakefile") {
		add("Rakefile", "rake")
	}
	return cmds, ciJobs(read(".gitlab-ci.yml"))
}

var makeTargetRE = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.\-/]*)\s*:([^=]|$)`)

// makeTargets returns explicit targets in file order: not special (.PHONY), not
// pattern rules (%.o), not variable assignments (X := y).
func makeTargets(data []byte) []string {
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := makeTargetRE.FindStringSubmatch(sc.Text())
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		out = append(out, m[1])
		if len(out) == maxMakeTargets {
			break
		}
	}
	return out
}

func packageScripts(data []byte) []string {
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(data, &pkg) != nil {
		return nil
	}
	names := make([]string, 0, len(pkg.Scripts))
	for n := range pkg.Scripts {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > maxScripts {
		names = names[:maxScripts]
	}
	return names
}

// pythonTests names the file that shows the project uses pytest, or "".
func pythonTests(read func(string) []byte) string {
	if read("pytest.ini") != nil {
		return "pytest.ini"
	}
	for _, f := range []string{"pyproject.toml", "setup.cfg", "tox.ini"} {
		if bytes.Contains(read(f), []byte("pytest")) {
			return f
		}
	}
	return ""
}

// ciReserved are top-level .gitlab-ci.yml keys that are not jobs.
var ciReserved = map[string]bool{
	"stages": true, "variables": true, "default": true, "include": true, "workflow": true,
	"image": true, "services": true, "before_script": true, "after_script": true,
	"cache": true, "types": true, "spec": true,
}

var ciKeyRE = regexp.MustCompile(`^(?:"([^"]+)"|'([^']+)'|([^\s#'"][^:#]*?))\s*:(\s|$)`)

// ciJobs returns the job names of a .gitlab-ci.yml: top-level keys that are not
// reserved words and not hidden (".template"). A line scan, not a YAML parser, is
// enough for names: jobs are top-level mapping keys at column 0.
func ciJobs(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' || line[0] == '-' {
			continue
		}
		m := ciKeyRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := strings.TrimSpace(m[1] + m[2] + m[3])
		if name == "" || ciReserved[name] || strings.HasPrefix(name, ".") {
			continue
		}
		out = append(out, name)
		if len(out) == maxCIJobs {
			break
		}
	}
	return out
}
