package syntax

import (
	"strings"
	"testing"
)

func kinds(l *Lang, line string) map[Kind]string {
	got := map[Kind]string{}
	for _, sp := range l.Tokens(line, nil) {
		got[sp.Kind] += sp.Text
	}
	return got
}

func TestTokensCoverTheLineExactly(t *testing.T) {
	for _, name := range []string{"a.go", "a.py", "a.js", "a.sql", "Dockerfile", "Makefile", "a.yaml", "a.md"} {
		l := ForFile(name, "")
		for _, line := range []string{"", "x := \"unterminated", "/* open comment", "'", "\\", "0x1F + 1e9 // c", "ünïcødé \"ß\" # ok", "`tpl ${x}`"} {
			var b strings.Builder
			for _, sp := range l.Tokens(line, nil) {
				if sp.Text == "" {
					t.Errorf("%s %q: empty span", name, line)
				}
				b.WriteString(sp.Text)
			}
			if b.String() != line {
				t.Errorf("%s: spans of %q join to %q", name, line, b.String())
			}
		}
	}
}

func TestLanguagesHighlight(t *testing.T) {
	cases := []struct {
		file, line string
		want       map[Kind]string
	}{
		{"main.go", `func f() { return "x" } // done`, map[Kind]string{Keyword: "funcreturn", String: `"x"`, Comment: "// done"}},
		{"a.py", `def f(): return 'a'  # c`, map[Kind]string{Keyword: "defreturn", String: "'a'", Comment: "# c"}},
		{"a.ts", "const x: number = 42;", map[Kind]string{Keyword: "const", Type: "number", Number: "42"}},
		{"a.rb", "def f; end", map[Kind]string{Keyword: "defend"}},
		{"lib.rs", "pub fn main() -> i32 { 0 }", map[Kind]string{Keyword: "pubfn", Type: "i32", Number: "0"}},
		{"A.java", "public class A {}", map[Kind]string{Keyword: "publicclass"}},
		{"a.kt", "val x = 1", map[Kind]string{Keyword: "val", Number: "1"}},
		{"a.c", "#include <stdio.h>", map[Kind]string{Keyword: "#include"}},
		{"a.cpp", "int main() { return 0; }", map[Kind]string{Type: "int", Keyword: "return", Number: "0"}},
		{"run.sh", `if [ -n "$X" ]; then echo hi; fi # c`, map[Kind]string{Keyword: "ifthenfi", String: `"$X"`, Comment: "# c"}},
		{"ci.yml", "image: golang:1.26 # pin", map[Kind]string{Keyword: "image", Comment: "# pin"}},
		{"a.json", `{"k": 1, "s": "v", "b": true}`, map[Kind]string{Keyword: `"k""s""b"true`, Number: "1", String: `"v"`}},
		{"Cargo.toml", `name = "x" # c`, map[Kind]string{Keyword: "name", String: `"x"`, Comment: "# c"}},
		{"Dockerfile", "FROM golang:1.26 AS build", map[Kind]string{Keyword: "FROMAS"}},
		{"Makefile", "build: deps # c", map[Kind]string{Keyword: "build", Comment: "# c"}},
		{"README.md", "## Title", map[Kind]string{Keyword: "## Title"}},
		{"q.sql", "select id from t -- c", map[Kind]string{Keyword: "selectfrom", Comment: "-- c"}},
		{"main.tf", `resource "aws_s3_bucket" "b" {`, map[Kind]string{Keyword: "resource", String: `"aws_s3_bucket""b"`}},
		{"a.css", "body { color: red; } /* c */", map[Kind]string{Keyword: "color", Comment: "/* c */"}},
		{"a.html", `<div class="x">hi</div>`, map[Kind]string{Keyword: "<div</div", String: `"x"`}},
	}
	for _, c := range cases {
		l := ForFile(c.file, "")
		if l == nil {
			t.Errorf("%s: no language", c.file)
			continue
		}
		got := kinds(l, c.line)
		for k, want := range c.want {
			if got[k] != want {
				t.Errorf("%s %q: kind %v is %q, want %q (all: %q)", c.file, c.line, k, got[k], want, got)
			}
		}
	}
}

func TestUnknownFilesArePlainAndHintsWork(t *testing.T) {
	if ForFile("notes.unknownext", "") != nil {
		t.Error("an unknown extension should have no language")
	}
	if ForFile("x", "python") == nil || ForFile("", "golang") == nil || ForFile("", "sh") == nil {
		t.Error("language hints (a fence's info string) should pick a language")
	}
	var nilLang *Lang
	if sp := nilLang.Tokens("a b", nil); len(sp) != 1 || sp[0].Kind != Plain {
		t.Errorf("a nil language is one plain span, got %v", sp)
	}
}

func TestIdentifiersAreNotKeywordsInside(t *testing.T) {
	got := kinds(ForFile("a.go", ""), "funcName := format")
	if got[Keyword] != "" {
		t.Errorf("keywords found inside identifiers: %q", got[Keyword])
	}
	got = kinds(ForFile("a.py", ""), "x = 'it''s' # not a 'string'")
	if got[String] != "'it''s'" || got[Comment] != "# not a 'string'" {
		t.Errorf("strings and comments: %q", got)
	}
}
