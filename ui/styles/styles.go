// Package styles holds the one Styles value the UI renders with. It is built once
// from the terminal's background (dark or light) and NO_COLOR, then passed down;
// nothing here is global.
package styles

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles are every style the UI uses. The zero value is not useful: call New.
type Styles struct {
	Dark    bool
	NoColor bool

	// Text.
	Base, Muted, Faint, Bold, Accent, Error, Warn, OK lipgloss.Style
	Title                                             lipgloss.Style

	// Plan checklist, by step status.
	StepPending, StepRunning, StepDone, StepSkipped, StepFailed lipgloss.Style
	StepNote                                                    lipgloss.Style
	Selected                                                    lipgloss.Style // the focused row

	// Panels and dialogs.
	Panel, PanelFocused lipgloss.Style
	Dialog              lipgloss.Style
	Key, KeyDesc        lipgloss.Style

	// Status bar.
	StatusBar, StatusItem, StatusState lipgloss.Style

	// Transcript.
	UserPrompt, ToolLine, ToolError, Queued lipgloss.Style

	// Diff.
	DiffAdd, DiffDel, DiffContext, DiffHunk, DiffFile  lipgloss.Style
	DiffAddWord, DiffDelWord, DiffLineNo, DiffCursor   lipgloss.Style
	DiffAddBG, DiffDelBG, DiffWordAddBG, DiffWordDelBG color.Color

	// Markdown (ui/markdown): headings, `code`, links and their URLs, quotes,
	// rules, list markers, table headers.
	MDHeading, MDCode, MDLink, MDURL, MDQuote, MDRule, MDBullet, MDTableHead lipgloss.Style

	// Code highlighting (ui/syntax) in diffs and code blocks: foreground colours,
	// all nil under NO_COLOR (code is then plain).
	Syntax SyntaxColours
}

// SyntaxColours colour ui/syntax's token kinds; nil leaves the text as is.
type SyntaxColours struct {
	Keyword, Type, String, Comment, Number color.Color
}

// New builds the styles for a dark or light background. noColor drops every colour
// (NO_COLOR), keeping bold, faint and reverse so states stay distinguishable.
func New(dark, noColor bool) Styles {
	ld := lipgloss.LightDark(dark)
	c := func(light, darkc string) color.Color {
		if noColor {
			return nil
		}
		return ld(lipgloss.Color(light), lipgloss.Color(darkc))
	}
	fg := func(col color.Color) lipgloss.Style {
		if col == nil {
			return lipgloss.NewStyle()
		}
		return lipgloss.NewStyle().Foreground(col)
	}
	bg := func(s lipgloss.Style, col color.Color) lipgloss.Style {
		if col == nil {
			return s
		}
		return s.Background(col)
	}
	accent := c("#5A3FC0", "#A48BFF")
	muted := c("#6B6B6B", "#9A9A9A")
	green := c("#1E7A34", "#5FD38A")
	red := c("#B3261E", "#FF6B6B")
	yellow := c("#8A6100", "#E5C07B")
	blue := c("#1F5FAF", "#61AFEF")
	border := c("#BDBDBD", "#4A4A4A")

	s := Styles{Dark: dark, NoColor: noColor}
	s.Base = lipgloss.NewStyle()
	s.Muted = fg(muted)
	s.Faint = lipgloss.NewStyle().Faint(true)
	s.Bold = lipgloss.NewStyle().Bold(true)
	s.Accent = fg(accent).Bold(true)
	s.Error = fg(red).Bold(true)
	s.Warn = fg(yellow)
	s.OK = fg(green)
	s.Title = fg(accent).Bold(true)

	s.StepPending = fg(muted)
	s.StepRunning = fg(blue).Bold(true)
	s.StepDone = fg(green)
	s.StepSkipped = fg(muted).Strikethrough(true)
	s.StepFailed = fg(red).Bold(true)
	s.StepNote = fg(muted).Italic(true)
	s.Selected = lipgloss.NewStyle().Reverse(true)

	s.Panel = lipgloss.NewStyle().Border(lipgloss.RoundedBorder())
	s.PanelFocused = lipgloss.NewStyle().Border(lipgloss.ThickBorder())
	if border != nil {
		s.Panel = s.Panel.BorderForeground(border)
		s.PanelFocused = s.PanelFocused.BorderForeground(accent)
	}
	s.Dialog = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if accent != nil {
		s.Dialog = s.Dialog.BorderForeground(accent)
	}
	s.Key = fg(accent).Bold(true)
	s.KeyDesc = fg(muted)

	s.StatusBar = bg(fg(c("#303030", "#D0D0D0")), c("#E4E4E4", "#262626"))
	if noColor {
		s.StatusBar = lipgloss.NewStyle().Reverse(true)
	}
	s.StatusItem = s.StatusBar
	s.StatusState = s.StatusBar.Bold(true)

	s.UserPrompt = fg(accent).Bold(true)
	s.ToolLine = fg(muted)
	s.ToolError = fg(red)
	s.Queued = fg(yellow).Italic(true)

	s.DiffAddBG = c("#E6F6E9", "#16301F")
	s.DiffDelBG = c("#FBE9E8", "#4F2025")
	s.DiffWordAddBG = c("#B5E6C0", "#24633A")
	s.DiffWordDelBG = c("#F2B8B5", "#7A2A2F")
	s.DiffAdd = bg(fg(green), s.DiffAddBG)
	s.DiffDel = bg(fg(red), s.DiffDelBG)
	s.DiffAddWord = bg(fg(green), s.DiffWordAddBG)
	s.DiffDelWord = bg(fg(red), s.DiffWordDelBG)
	if noColor {
		s.DiffAddWord = lipgloss.NewStyle().Underline(true)
		s.DiffDelWord = lipgloss.NewStyle().Underline(true)
	}
	s.DiffContext = lipgloss.NewStyle()
	s.DiffHunk = fg(blue)
	s.DiffFile = fg(accent).Bold(true)
	s.DiffLineNo = fg(muted)
	s.DiffCursor = lipgloss.NewStyle().Reverse(true)

	s.MDHeading = fg(accent).Bold(true)
	s.MDCode = fg(c("#9A3412", "#F0A070"))
	s.MDLink = fg(blue).Underline(true)
	s.MDURL = fg(muted)
	s.MDQuote = fg(muted).Italic(true)
	s.MDRule = fg(border)
	s.MDBullet = fg(accent)
	s.MDTableHead = lipgloss.NewStyle().Bold(true)

	// One Dark / One Light's hues: readable on both the plain and the diff
	// backgrounds above.
	s.Syntax = SyntaxColours{
		Keyword: c("#A626A4", "#C678DD"),
		Type:    c("#4078F2", "#61AFEF"),
		String:  c("#50A14F", "#98C379"),
		Comment: c("#8E8F96", "#7F848E"),
		Number:  c("#986801", "#D19A66"),
	}
	return s
}
