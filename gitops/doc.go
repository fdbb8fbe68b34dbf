// Package gitops is wend's staging layer: the agent's edits land in the
// working tree as proposals that the user accepts into git's index or rejects
// hunk by hunk, and the user's own work is never lost or blamed on the agent.
// Everything goes through the git binary (Runner); gitops imports nothing of
// wend's.
//
// # Model
//
// Start snapshots the whole working tree (tracked files and untracked files
// that are not ignored) into a tree at refs/wend/<id>/base, through a
// temporary index seeded from the real one. HEAD, the index, the stash and
// the working tree are not touched.
//
// For every path the agent touches, a Session keeps three versions:
//
//   - Orig: the file before the agent first changed it.
//   - Base: Orig plus the hunks the user accepted.
//   - Agent: the agent's current version, minus rejected hunks, plus the
//     user's modifications.
//
// The proposal for a path is Base → Agent. Accepted and rejected hunks leave
// the proposal; Decisions keeps the history.
//
// # Attribution
//
// The agent's changes are what the agent wrote: WriteFile and Remove (the
// session/tools Workspace), and the paths a command changed between the
// snapshots taken by BeforeCommand and AfterCommand. A path the agent never
// touched is never a proposal, however it differs from the baseline. When
// the user edits a touched file between two agent writes, the edit is
// folded into Orig and Base before the next agent version is recorded, so it
// does not show as the agent's. Limits: user edits to lines inside an agent
// hunk cannot be told apart and stay in that hunk. Binary files the user
// changes take the user's version as their new baseline.
//
// Commands: a sandboxed command's writes are captured apart from the user's
// (session/tools applies them here as agent writes, WriteExact and Remove),
// so nothing the user saves meanwhile is credited to the agent. Without
// capture, AfterUncapturedCommand credits what changed between the snapshots
// but marks it Uncertain: reject and UndoAll refuse to remove those bytes
// (ErrUncertain), because the user may have written them while the command
// ran. A path another open session holds is never credited to this one.
//
// Two sessions in one repository: a command snapshot never credits a path
// that another open session (a Session value of a live process) holds, by a
// pending proposal, a standing accept or a write in flight; for this session
// that change is the user's, so undoing it never reverts the other's work
// (attribution.go). An agent command here that changes such a path is not
// proposed: the change stays in the tree, the user's.
//
// # Decisions
//
// Accept moves the index, never the working tree: the change Base → Base+hunk
// is applied to the index entry as it is now, by a line-level three-way merge,
// so it lands on top of whatever the user staged. Reject moves the working
// tree, never the index: Agent → Agent−hunk is applied to the file as it is
// now, which puts the baseline lines back only where the file still has the
// agent's lines. In both, if the user changed the same lines (or inserted at
// the same spot) the decision fails with a *ConflictError naming those lines,
// and nothing changes. Replaying a decision that was already applied (after a
// crash) is a no-op. Files that are added, deleted, renamed, binary, symlinks
// or mode-only changes are decided whole. A file the user has never added to
// the index (untracked) cannot take a partial accept: the error says so.
//
// Modify makes the user's edit the agent's version (still a proposal) and
// records the edit. UndoAll returns every touched path to Orig, in the
// working tree and, for accepted hunks, in the index. Rejections,
// modifications and undos stay in Feedback until AckFeedback, so the engine
// tells the model at its next boundary.
//
// # Durability
//
// Every state change is written before it is reported: new contents as git
// blobs, kept reachable by refs/wend/<id>/state, and records appended to the
// journal at <git dir>/wend/<id>/journal. Open replays the journal; a torn
// last record is dropped. An operation that writes the index or the working
// tree journals (fsynced) an intent first: its writes, each with what it
// replaces, and the decision that results; then writes; then "done". Open,
// and every changing method, settles an intent left without an outcome
// (recover.go): a decision rolls forward when each write is either made or
// not (the user asked for it; it completes as planned), and rolls back
// where the user changed one of its paths since the crash; an agent write
// finishes the rename of its complete temporary file, or else rolls back (no
// proposal the file does not hold). A write rolled back under a user's later
// edit of the same file is taken out by a line merge, keeping the edit, so the
// file holds the pending change again; where the user rewrote the write's own
// lines, the decision completes instead and the file stays theirs. A mirrored (--worktree) accept
// journals the user's index and file writes in the same intent as the
// worktree's (mirror.go) and is settled as one. The session's
// .wend-tmp-<id>-* files there are removed.
//
// One writer at a time: each changing operation holds a flock on
// <git dir>/wend/<id>/lock (holder's pid, start time and activity, for the
// "session is busy" error after a 5 s wait) and first catches up on what
// other processes journaled. A live TUI and a CLI verb interleave operation by
// operation. wend's index.lock is a hard link of an owner-named file under
// <git dir>/wend, so a crashed wend's lock is recognised and removed; any
// other index.lock is never touched (ErrIndexLocked says to remove it).
//
// Undo takes back exactly the decision's lines; when a later decision changed
// any of them, even the same way, it is a *ConflictError (undo that one
// first), so a later accepted change is never lost silently.
//
// # Git
//
// Calls go through internal/gitrun (ExecRunner), like every git process of
// wend, and run with LC_ALL=C, literal pathspecs, no terminal prompts,
// GIT_OPTIONAL_LOCKS=0 when read-only, and -z wherever paths are parsed, so
// names with spaces, quotes, newlines, leading dashes and non-UTF-8 bytes
// work. Contents are compared as bytes: CRLF and a missing final newline are
// changes like any other. Snapshots go through `git add`, so clean filters
// (autocrlf, LFS) apply to the paths commands change; agent writes and
// decisions store the bytes as written.
//
// Snapshots run `git add -A` into a temporary index (seeded by a hard link to
// the user's, so stat data makes it as fast as `git status`). The rest does
// not spawn git: agent writes, accepts and rejects spawn no process (a spawn
// costs 15 ms or more on a loaded machine). gitops writes its own blobs,
// trees and refs in git's loose formats (store.go), turns a snapshot index
// into a tree reusing its cache tree (tree.go), and updates the user's index
// itself under index.lock (index.go) when it is a plain version 2 or 3
// index, falling back to `git write-tree` and `git update-index` otherwise. An
// accept then costs one write of the index file (plus one read when the
// user's git changed it since), where `git update-index` needs a spawn, a
// read, a checksum and a write.
//
// # Wiring
//
// Session has the method set of session/tools.Workspace (WriteFile, Remove,
// AfterCommand). Call BeforeCommand too, right before each agent command:
// without it, edits the user made since the previous snapshot count as the
// command's. Modify takes an edit of AgentVersion. Commit, SwitchBranch and
// Push are plain functions over a directory.
package gitops
