package syntax

import (
	"strings"
	"sync"
)

type tables struct {
	byExt   map[string]*Lang // extension without the dot
	byName  map[string]*Lang // whole lower-case file names
	byAlias map[string]*Lang // language names and fence info strings
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// registry is built on first use: nothing here costs at process start.
var registry = sync.OnceValue(func() *tables {
	cLine, cBlock := []string{"//"}, [2]string{"/*", "*/"}
	cTypes := "int char void short long float double signed unsigned bool size_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t auto"
	cKeys := "if else for while do switch case default break continue return goto struct union enum typedef static const extern volatile register inline sizeof NULL true false"
	langs := []struct {
		l       Lang
		kw, ty  string
		exts    string
		names   string
		aliases string
	}{
		{l: Lang{Name: "go", line: cLine, block: cBlock, quotes: "\"'`"},
			kw:   "break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var nil true false iota",
			ty:   "bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any comparable",
			exts: "go", names: "go.mod go.sum go.work", aliases: "go golang"},
		{l: Lang{Name: "python", line: []string{"#"}, quotes: "\"'"},
			kw:   "and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield None True False self match case",
			ty:   "int float str bool list dict set tuple bytes object",
			exts: "py pyi pyw", aliases: "python py python3"},
		{l: Lang{Name: "javascript", line: cLine, block: cBlock, quotes: "\"'`"},
			kw:   "async await break case catch class const continue debugger default delete do else export extends finally for from function if import in instanceof let new of return static super switch this throw try typeof var void while with yield null undefined true false interface type enum implements private protected public readonly declare namespace abstract as keyof satisfies",
			ty:   "number string boolean any unknown never object bigint symbol",
			exts: "js mjs cjs jsx ts tsx mts cts", aliases: "javascript js jsx typescript ts tsx node"},
		{l: Lang{Name: "ruby", line: []string{"#"}, quotes: "\"'"},
			kw:   "alias and begin break case class def defined do else elsif end ensure false for if in module next nil not or redo rescue retry return self super then true undef unless until when while yield require require_relative attr_reader attr_accessor private protected public",
			exts: "rb rake gemspec", names: "gemfile rakefile", aliases: "ruby rb"},
		{l: Lang{Name: "rust", line: cLine, block: cBlock, quotes: "\""},
			kw:   "as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while",
			ty:   "i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str String Vec Option Result Box",
			exts: "rs", aliases: "rust rs"},
		{l: Lang{Name: "java", line: cLine, block: cBlock, quotes: "\"'"},
			kw:   "abstract assert break case catch class const continue default do else enum extends final finally for goto if implements import instanceof interface native new package private protected public return static super switch synchronized this throw throws transient try volatile while null true false var record sealed permits yield fun val when object companion data override open internal lateinit suspend is in typealias",
			ty:   "boolean byte char double float int long short void String Int Long Double Float Boolean Char Unit Any",
			exts: "java kt kts scala groovy gradle", aliases: "java kotlin kt scala groovy"},
		{l: Lang{Name: "c", line: cLine, block: cBlock, quotes: "\"'", hashWord: true},
			kw:   cKeys + " class namespace template typename public private protected virtual override new delete this throw try catch using operator friend nullptr constexpr noexcept explicit mutable",
			ty:   cTypes + " string vector map",
			exts: "c h cc cpp cxx hpp hh hxx m mm cs", aliases: "c cpp c++ cxx objc csharp cs"},
		{l: Lang{Name: "shell", line: []string{"#"}, quotes: "\"'`", hashSpace: true},
			kw:   "if then else elif fi for while until do done case esac in function select return export local readonly declare unset shift exit set source alias",
			exts: "sh bash zsh ksh fish envrc", names: ".bashrc .zshrc .profile .bash_profile", aliases: "sh bash shell zsh console shellsession ksh fish"},
		{l: Lang{Name: "yaml", line: []string{"#"}, quotes: "\"'", mode: modeKeyValue, hashSpace: true},
			kw: "true false null yes no on off", exts: "yaml yml", aliases: "yaml yml"},
		{l: Lang{Name: "toml", line: []string{"#"}, quotes: "\"'", mode: modeKeyValue},
			kw: "true false", exts: "toml ini cfg conf properties editorconfig", names: ".gitconfig", aliases: "toml ini"},
		{l: Lang{Name: "json", quotes: "\"", mode: modeJSON, line: cLine, block: cBlock},
			kw: "true false null", exts: "json jsonc json5 jsonl ndjson", aliases: "json jsonc"},
		{l: Lang{Name: "dockerfile", line: []string{"#"}, quotes: "\"'", foldCase: true, hashSpace: true},
			kw:    "from run cmd label maintainer expose env add copy entrypoint volume user workdir arg onbuild stopsignal healthcheck shell as",
			names: "dockerfile containerfile", aliases: "dockerfile docker containerfile"},
		{l: Lang{Name: "make", line: []string{"#"}, quotes: "\"'", mode: modeMake},
			kw:   "ifeq ifneq ifdef ifndef else endif include define endef export override",
			exts: "mk mak", names: "makefile gnumakefile", aliases: "make makefile mk"},
		{l: Lang{Name: "markdown", quotes: "`", mode: modeMarkdown},
			exts: "md markdown mdx", aliases: "markdown md"},
		{l: Lang{Name: "sql", line: []string{"--"}, block: cBlock, quotes: "'\"", foldCase: true},
			kw:   "select from where and or not insert into values update set delete create table drop alter add index primary key foreign references join left right inner outer on as group by order having limit offset union all distinct case when then else end null is in like between exists returning with begin commit rollback view default unique constraint cascade",
			ty:   "int integer bigint smallint text varchar char boolean bool date timestamp timestamptz numeric decimal real float serial bigserial uuid jsonb json",
			exts: "sql", aliases: "sql postgresql postgres mysql sqlite psql"},
		{l: Lang{Name: "hcl", line: []string{"#", "//"}, block: cBlock, quotes: "\""},
			kw:   "resource variable output module data provider locals terraform backend true false null for in if dynamic each count",
			ty:   "string number bool list map set object any",
			exts: "tf tfvars hcl nomad", aliases: "hcl terraform tf"},
		{l: Lang{Name: "css", block: cBlock, quotes: "\"'", mode: modeCSS},
			exts: "css scss less", aliases: "css scss less"},
		{l: Lang{Name: "html", block: [2]string{"<!--", "-->"}, quotes: "\"'", mode: modeHTML},
			exts: "html htm xml svg vue xhtml plist", aliases: "html xml svg vue"},
	}
	t := &tables{byExt: map[string]*Lang{}, byName: map[string]*Lang{}, byAlias: map[string]*Lang{}}
	for i := range langs {
		d := &langs[i]
		l := d.l
		l.keywords, l.types = set(d.kw), set(d.ty)
		lp := &l
		for _, e := range strings.Fields(d.exts) {
			t.byExt[e] = lp
		}
		for _, n := range strings.Fields(d.names) {
			t.byName[n] = lp
		}
		for _, a := range strings.Fields(d.aliases) {
			t.byAlias[a] = lp
		}
	}
	return t
})
