package session

// ChangeKind says what happened to a file.
type ChangeKind string

const (
	ChangeModified ChangeKind = "modified"
	ChangeAdded    ChangeKind = "added"
	ChangeDeleted  ChangeKind = "deleted"
	ChangeRenamed  ChangeKind = "renamed"
	ChangeMode     ChangeKind = "mode"
)

// HunkState is the user's decision on a hunk so far.
type HunkState string

const (
	HunkProposed HunkState = "proposed"
	HunkAccepted HunkState = "accepted"
	HunkRejected HunkState = "rejected"
	HunkModified HunkState = "modified"
)

// Hunk is one contiguous change within a file. ID is stable for the content of the
// change, so a hunk keeps its id while other hunks are decided.
type Hunk struct {
	ID       string `json:"id"`
	OldStart int    `json:"old_start"`
	OldLines int    `json:"old_lines"`
	NewStart int    `json:"new_start"`
	NewLines int    `json:"new_lines"`
	Header   string `json:"header,omitempty"`
	// Lines are the diff body lines, each starting with ' ', '+' or '-'.
	Lines []string  `json:"lines"`
	State HunkState `json:"state"`
}

// FileChange is a proposed change to one file against the session's baseline.
type FileChange struct {
	Path    string     `json:"path"`
	OldPath string     `json:"old_path,omitempty"`
	Kind    ChangeKind `json:"kind"`
	Binary  bool       `json:"binary,omitempty"`
	OldMode string     `json:"old_mode,omitempty"`
	NewMode string     `json:"new_mode,omitempty"`
	Added   int        `json:"added"`
	Deleted int        `json:"deleted"`
	Hunks   []Hunk     `json:"hunks"`
	// Language is a highlighting hint ("go", "python"), from the file name.
	Language string `json:"language,omitempty"`
	// Uncertain marks a change seen after a command that ran without the
	// sandbox's capture: wend cannot tell the user's edits made meanwhile from
	// the command's, so reject and undo leave these bytes alone.
	Uncertain bool `json:"uncertain,omitempty"`
}

// ReviewAction is a decision on proposed changes.
type ReviewAction string

const (
	ReviewAccept ReviewAction = "accept"
	ReviewReject ReviewAction = "reject"
	ReviewModify ReviewAction = "modify"
	ReviewUndo   ReviewAction = "undo"
)
