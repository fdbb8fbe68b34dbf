package repo

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// The outline's byte allowances, section by section. With the headings they add
// up to less than OutlineTokenBudget×4 bytes whatever the repository holds (a
// thousand top-level directories, names of any length): what does not fit is
// counted ("… 12 more"), never cut mid-list. An item is cut at maxItemBytes.
const (
	headBytes     = 360 // root, branch, file count (two names of maxItemBytes)
	langBytes     = 480
	layoutBytes   = 1600
	topFileBytes  = 480
	commandBytes  = 880
	ciBytes       = 400
	symbolBytes   = 880
	commitBytes   = 720
	headingBytes  = 140 // the five "## …" headings and blank lines
	maxItemBytes  = 100
	moreItemBytes = 32 // room kept for "… N more directories"
)

// A directory with at least this many files and this share of the repository
// lists its biggest subdirectories: a monorepo's one top-level directory says
// little on its own.
const (
	expandMinFiles   = 50
	expandMinPercent = 25
	maxSubdirs       = 6
)

// subdirs counts the files under each subdirectory of top (files directly in top
// are not counted) and returns the biggest, then by name, and how many were left.
func subdirs(files []string, top string) ([]DirCount, int) {
	prefix := top + "/"
	i := sort.SearchStrings(files, prefix)
	counts := map[string]int{}
	for ; i < len(files) && strings.HasPrefix(files[i], prefix); i++ {
		rest := files[i][len(prefix):]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			counts[rest[:j]]++
		}
	}
	out := make([]DirCount, 0, len(counts))
	for name, n := range counts {
		out = append(out, DirCount{Name: name, Files: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Files != out[j].Files {
			return out[i].Files > out[j].Files
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > maxSubdirs {
		return out[:maxSubdirs], len(out) - maxSubdirs
	}
	return out, 0
}

// section writes lines into a byte allowance.
type section struct {
	b    *strings.Builder
	left int
}

// line writes s if it fits in what is left (keeping room for a "more" line) and
// reports whether it did.
func (s *section) line(str string) bool {
	if len(str)+moreItemBytes > s.left {
		return false
	}
	s.b.WriteString(str)
	s.left -= len(str)
	return true
}

// joined writes prefix, then items separated by ", " while they fit, then ", …
// N more" for the rest of total, then a newline.
func (s *section) joined(prefix string, items []string, total int) {
	line := prefix
	shown := 0
	for _, it := range items {
		next := it
		if shown > 0 {
			next = ", " + it
		}
		if len(line)+len(next)+moreItemBytes+1 > s.left {
			break
		}
		line += next
		shown++
	}
	if shown < total {
		sep := ", "
		if shown == 0 {
			sep = ""
		}
		line += fmt.Sprintf("%s… %d more", sep, total-shown)
	}
	s.b.WriteString(line + "\n")
	s.left -= len(line) + 1
}

// cut shortens one name or subject to maxItemBytes on a rune boundary.
func cut(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= maxItemBytes {
		return s
	}
	k := maxItemBytes - len("…")
	for k > 0 && !utf8.RuneStart(s[k]) {
		k--
	}
	return s[:k] + "…"
}

// Markdown renders the facts compactly, in a fixed order, for the model. Without
// the instruction files it stays within OutlineTokenBudget (see the allowances).
func (f *Facts) Markdown() string {
	var b strings.Builder
	b.WriteString("# Repository\n\n")
	fmt.Fprintf(&b, "- Root: %s\n- Branch: %s\n- Files known to git: %d\n", cut(path.Base(filepath.ToSlash(f.Root))), cut(f.Branch), f.FileCount)
	if len(f.Languages) > 0 {
		parts := make([]string, len(f.Languages))
		for i, l := range f.Languages {
			parts[i] = fmt.Sprintf("%s %d%% (%d)", cut(l.Language), l.Percent, l.Files)
		}
		(&section{b: &b, left: langBytes}).joined("- Languages: ", parts, len(parts))
	}
	if len(f.Dirs) > 0 || len(f.TopFiles) > 0 {
		b.WriteString("\n## Layout\n\n")
		s := section{b: &b, left: layoutBytes}
		for k, d := range f.Dirs {
			if !s.line(fmt.Sprintf("- %s/ (%d %s)\n", cut(d.Name), d.Files, plural(d.Files, "file", "files"))) {
				s.b.WriteString(fmt.Sprintf("- … %d more directories\n", len(f.Dirs)-k+f.MoreDirs))
				break
			}
			for j, sd := range d.Subdirs {
				if !s.line(fmt.Sprintf("  - %s/ (%d)\n", cut(sd.Name), sd.Files)) {
					d.MoreSubdirs += len(d.Subdirs) - j
					break
				}
			}
			if d.MoreSubdirs > 0 {
				s.line(fmt.Sprintf("  - … %d more\n", d.MoreSubdirs))
			}
			if k == len(f.Dirs)-1 && f.MoreDirs > 0 {
				s.b.WriteString(fmt.Sprintf("- … %d more directories\n", f.MoreDirs))
			}
		}
		if len(f.TopFiles) > 0 {
			names := make([]string, len(f.TopFiles))
			for i, n := range f.TopFiles {
				names[i] = cut(n)
			}
			(&section{b: &b, left: topFileBytes}).joined("- files: ", names, len(names)+f.MoreTopFiles)
		}
	}
	if len(f.Commands) > 0 || len(f.CIJobs) > 0 {
		b.WriteString("\n## Build and test\n\n")
		s := section{b: &b, left: commandBytes}
		for k, c := range f.Commands {
			if !s.line(fmt.Sprintf("- `%s` (%s)\n", cut(c.Run), cut(c.Source))) {
				fmt.Fprintf(&b, "- … %d more commands\n", len(f.Commands)-k)
				break
			}
		}
		if len(f.CIJobs) > 0 {
			jobs := make([]string, len(f.CIJobs))
			for i, j := range f.CIJobs {
				jobs[i] = cut(j)
			}
			(&section{b: &b, left: ciBytes}).joined("- GitLab CI jobs (.gitlab-ci.yml): ", jobs, len(jobs))
		}
	}
	if len(f.Symbols) > 0 {
		b.WriteString("\n## Most referenced symbols\n\n")
		s := section{b: &b, left: symbolBytes}
		s.line(fmt.Sprintf("Defined names by mentions in %d of %d source files (ctags):\n", f.SymbolSample, f.SourceFiles))
		for _, sym := range f.Symbols {
			if !s.line(fmt.Sprintf("- %s (%s, %s): %d\n", cut(sym.Name), cut(sym.Kind), cut(sym.Path), sym.Refs)) {
				break
			}
		}
	}
	if len(f.Commits) > 0 {
		b.WriteString("\n## Recent commits\n\n")
		s := section{b: &b, left: commitBytes}
		for _, c := range f.Commits {
			if !s.line("- " + cut(c) + "\n") {
				break
			}
		}
	}
	for _, in := range f.Instructions {
		fmt.Fprintf(&b, "\n## Instructions from %s\n\n%s\n", in.Path, in.Content)
		if in.Truncated {
			fmt.Fprintf(&b, "\n[%s was cut at %d KiB]\n", in.Path, maxInstructionLen>>10)
		}
	}
	return b.String()
}
