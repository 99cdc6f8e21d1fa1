# The replayable part of SQL fragments of the install script: every CREATE FUNCTION statement (printed as
# CREATE OR REPLACE FUNCTION), every COMMENT ON FUNCTION, and every GRANT or REVOKE ... ON FUNCTION, whole and
# in file order. An update script replays them after its head and the version's catalog changes, so that
# the functions of an updated installation are those of a fresh one, whichever fragment they live in; the
# rest of a fragment (types, tables, rows, aggregates, operators) runs once, at install, or is changed by a
# version's catalog part (src/upgrade/README.md).
#
# A statement starts at the beginning of a line and ends at the first ';' outside quotes, dollar quotes and
# comments. Usage: awk -f scripts/replayable.awk FRAGMENT.sql ...   (POSIX awk: Debian's mawk runs it.)

function starts(line) {
  return line ~ /^CREATE FUNCTION / || line ~ /^COMMENT ON FUNCTION / ||
         ((line ~ /^GRANT / || line ~ /^REVOKE /) && line ~ / ON FUNCTION /)
}

# Scan one line from the state left by the previous ones (squote: inside '...'; dtag: the open dollar-quote
# tag, "" if none); true when the statement ends on it.
function ends(line,   i, c, rest, tag) {
  for (i = 1; i <= length(line); i++) {
    c = substr(line, i, 1)
    if (dtag != "") {
      if (c == "$" && substr(line, i, length(dtag)) == dtag) { i += length(dtag) - 1; dtag = "" }
    } else if (squote) {
      if (c == "'") squote = 0          # a doubled '' closes and opens again
    } else if (c == "'") {
      squote = 1
    } else if (c == "-" && substr(line, i + 1, 1) == "-") {
      return 0                          # the rest of the line is a comment
    } else if (c == "$") {
      rest = substr(line, i)
      if (match(rest, /^\$[A-Za-z_]*\$/)) { dtag = substr(rest, 1, RLENGTH); i += RLENGTH - 1 }
    } else if (c == ";") {
      return 1
    }
  }
  return 0
}

{
  if (!inside && starts($0)) {
    inside = 1; squote = 0; dtag = ""
    if ($0 ~ /^CREATE FUNCTION /) sub(/^CREATE FUNCTION /, "CREATE OR REPLACE FUNCTION ")
  }
  if (inside) {
    print
    if (ends($0)) inside = 0
  }
}

END {
  if (inside) { print "replayable.awk: a statement does not end in " FILENAME > "/dev/stderr"; exit 1 }
}
