package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// OutlineTokenBudget bounds the outline Markdown renders without the instruction
// files (tokens, counted as bytes/4): each section has a byte allowance (outline.go)
// that keeps it there on any repository, and tests hold them to it.
const OutlineTokenBudget = 1500

// Caps on what Facts gathers, so the first request stays small on huge repositories.
const (
	maxLayoutDirs     = 40
	maxTopFiles       = 40
	maxLanguages      = 12
	maxCommits        = 10
	maxInstructionLen = 16 << 10
)

// InstructionFiles are the repository's instructions for agents, in the order they
// are given to the model: AGENTS.md at the root, then GitLab Duo's chat rules.
var InstructionFiles = []string{"AGENTS.md", ".gitlab/duo/chat-rules.md"}

// Facts are what the model learns about the repository with its first request.
type Facts struct {
	Root      string
	Branch    string
	FileCount int
	// Dirs are the top-level directories with the number of files git knows in
	// each; a directory holding a large share of the files lists its own
	// biggest subdirectories in Subdirs.
	Dirs []DirCount
	// TopFiles are the files at the root.
	TopFiles []string
	// MoreDirs and MoreTopFiles count what was cut from Dirs and TopFiles.
	MoreDirs, MoreTopFiles int
	// Languages are sorted by file count, descending, then name.
	Languages []LangCount
	// Commands are build, test and lint commands found in the project's files.
	Commands []Command
	// CIJobs are the job names of .gitlab-ci.yml, in file order.
	CIJobs []string
	// Symbols are the most mentioned names the repository defines, found with
	// Universal Ctags in SymbolSample of SourceFiles source files; empty without it.
	Symbols                   []Symbol
	SymbolSample, SourceFiles int
	// Commits are the most recent commits, "<short hash> <subject>", newest first.
	Commits []string
	// Instructions are the contents of InstructionFiles that exist.
	Instructions []Instruction
}

// DirCount is a directory and how many files git knows under it.
type DirCount struct {
	Name    string
	Files   int
	Subdirs []DirCount `json:",omitempty"`
	// MoreSubdirs counts the subdirectories left out of Subdirs.
	MoreSubdirs int `json:",omitempty"`
}

// LangCount is a language, how many files are written in it, and their share of
// the files whose language is known (whole percent, at least 1).
type LangCount struct {
	Language string
	Files    int
	Percent  int
}

// Command is a way to build, test or check the project.
type Command struct {
	Run    string // e.g. "go test ./..."
	Source string // the file it was found in, e.g. "go.mod"
}

// Instruction is the content of an instruction file, cut at 16 KiB.
type Instruction struct {
	Path      string
	Content   string
	Truncated bool
}

// Branch returns the checked-out branch. On a detached HEAD it returns an error
// wrapping ErrDetachedHead that names the commit and says how to fix it. An unborn
// branch (no commits yet) is a branch.
func (r *Repo) Branch(ctx context.Context) (string, error) {
	out, err := gitOutput(ctx, r.root, "symbolic-ref", "--quiet", "--short", "HEAD")
	if err == nil {
		return strings.TrimSpace(out), nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return "", err
	}
	commit, _ := gitOutput(ctx, r.root, "rev-parse", "--short", "HEAD")
	return "", fmt.Errorf("%w at %s in %s: check out a branch first (git switch <branch>, or git switch -c <new-branch>)",
		ErrDetachedHead, strings.TrimSpace(commit), r.root)
}

// Facts gathers the repository facts. It fails only when there is no branch (see
// Branch) or git cannot list files; missing optional parts are left empty.
func (r *Repo) Facts(ctx context.Context) (*Facts, error) {
	branch, err := r.Branch(ctx)
	if err != nil {
		return nil, err
	}
	files, err := r.Files(ctx)
	if err != nil {
		return nil, err
	}
	f := &Facts{Root: r.root, Branch: branch, FileCount: len(files)}
	f.layout(files)
	f.languages(files)
	f.Commands, f.CIJobs = detectCommands(r.root, files)
	f.Symbols, f.SymbolSample, f.SourceFiles = r.Symbols(ctx, files)
	if out, err := gitOutput(ctx, r.root, "log", fmt.Sprintf("-%d", maxCommits), "--format=%h %s"); err == nil {
		// A repository without commits fails here; it simply has none to show.
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if l != "" {
				f.Commits = append(f.Commits, l)
			}
		}
	}
	for _, name := range InstructionFiles {
		if in, ok := readInstruction(r.root, name); ok {
			f.Instructions = append(f.Instructions, in)
		}
	}
	return f, nil
}

func (f *Facts) layout(files []string) {
	dirs := map[string]int{}
	for _, p := range files {
		if i := strings.IndexByte(p, '/'); i >= 0 {
			dirs[p[:i]]++
		} else {
			f.TopFiles = append(f.TopFiles, p)
		}
	}
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		dc := DirCount{Name: d, Files: dirs[d]}
		if dc.Files >= expandMinFiles && dc.Files*100 >= len(files)*expandMinPercent {
			dc.Subdirs, dc.MoreSubdirs = subdirs(files, d)
		}
		f.Dirs = append(f.Dirs, dc)
	}
	if len(f.Dirs) > maxLayoutDirs {
		f.MoreDirs = len(f.Dirs) - maxLayoutDirs
		f.Dirs = f.Dirs[:maxLayoutDirs]
	}
	if len(f.TopFiles) > maxTopFiles {
		f.MoreTopFiles = len(f.TopFiles) - maxTopFiles
		f.TopFiles = f.TopFiles[:maxTopFiles:maxTopFiles]
	}
}

func (f *Facts) languages(files []string) {
	counts := map[string]int{}
	known := 0
	for _, p := range files {
		if l := Language(p); l != "" {
			counts[l]++
			known++
		}
	}
	for l, n := range counts {
		f.Languages = append(f.Languages, LangCount{Language: l, Files: n, Percent: max(1, (n*100+known/2)/known)})
	}
	sort.Slice(f.Languages, func(i, j int) bool {
		a, b := f.Languages[i], f.Languages[j]
		if a.Files != b.Files {
			return a.Files > b.Files
		}
		return a.Language < b.Language
	})
	if len(f.Languages) > maxLanguages {
		f.Languages = f.Languages[:maxLanguages]
	}
}

// readInstruction reads an instruction file if it is a regular file inside root
// (a symlink pointing elsewhere is ignored, as the tools would refuse it too).
func readInstruction(root, name string) (Instruction, bool) {
	abs := filepath.Join(root, filepath.FromSlash(name))
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return Instruction{}, false
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil || !within(realRoot, real) {
		return Instruction{}, false
	}
	data, err := os.ReadFile(real)
	if err != nil || IsBinary(data) {
		return Instruction{}, false
	}
	in := Instruction{Path: name}
	if len(data) > maxInstructionLen {
		data, in.Truncated = data[:maxInstructionLen], true
	}
	in.Content = strings.TrimSpace(string(data))
	return in, in.Content != ""
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ReadFacts opens the work tree containing dir and gathers its facts: the one call
// the CLI needs at start. Errors wrap ErrNotRepo or ErrDetachedHead; their text is
// meant for the user as is.
func ReadFacts(ctx context.Context, dir string) (*Facts, error) {
	r, err := Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	return r.Facts(ctx)
}
