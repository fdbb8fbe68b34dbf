package repo

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestOutlineStaysWithinBudgetOnHostileInput: every list at its cap and every
// name far too long, the outline (without the instruction files) still fits
// OutlineTokenBudget, says how much it left out, and cuts names on rune
// boundaries.
func TestOutlineStaysWithinBudgetOnHostileInput(t *testing.T) {
	long := func(i int) string { return fmt.Sprintf("n%03d-", i) + strings.Repeat("é", 300) }
	f := &Facts{Root: "/x/" + long(0), Branch: long(1), FileCount: 1 << 30}
	for i := range maxLayoutDirs {
		d := DirCount{Name: long(i), Files: 1 << 20, MoreSubdirs: 1000}
		for j := range maxSubdirs {
			d.Subdirs = append(d.Subdirs, DirCount{Name: long(j), Files: 1 << 19})
		}
		f.Dirs = append(f.Dirs, d)
	}
	f.MoreDirs = 5000
	for i := range maxTopFiles {
		f.TopFiles = append(f.TopFiles, long(i))
	}
	f.MoreTopFiles = 9000
	for i := range maxLanguages {
		f.Languages = append(f.Languages, LangCount{Language: long(i), Files: 1 << 20, Percent: 8})
	}
	for i := range maxMakeTargets + maxScripts + 10 {
		f.Commands = append(f.Commands, Command{Run: "make " + long(i), Source: long(i)})
	}
	for i := range maxCIJobs {
		f.CIJobs = append(f.CIJobs, long(i))
	}
	for i := range maxSymbols {
		f.Symbols = append(f.Symbols, Symbol{Name: long(i), Kind: long(i), Path: long(i), Refs: 1 << 20})
	}
	f.SymbolSample, f.SourceFiles = 2000, 1<<30
	for i := range maxCommits {
		f.Commits = append(f.Commits, "abcdef0 "+long(i))
	}
	md := f.Markdown()
	if len(md) > OutlineTokenBudget*4 {
		t.Errorf("outline is %d bytes, budget %d:\n%s", len(md), OutlineTokenBudget*4, md)
	}
	if !utf8.ValidString(md) {
		t.Error("a name was cut inside a character")
	}
	for _, want := range []string{"more directories", "… 9", "## Build and test", "more commands", "## Most referenced symbols", "## Recent commits", "- Languages: "} {
		if !strings.Contains(md, want) {
			t.Errorf("the outline lacks %q:\n%s", want, md)
		}
	}
	t.Logf("%d bytes", len(md))
}
