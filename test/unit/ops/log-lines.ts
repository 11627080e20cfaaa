/**
 * The log lines the code can write, read from the source with the TypeScript parser: every call
 * `<something log-ish>.<level>(…, 'message')`, with its level(s), message and file.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import ts from 'typescript'

export const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const
export type Level = (typeof LEVELS)[number]

export interface LogLine {
  level: Level
  /** The message; a template literal's substitutions become `…`. */
  msg: string
  file: string
  line: number
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

function messageOf(node: ts.Expression | undefined): string | undefined {
  if (!node) return undefined
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => `…${s.literal.text}`).join('')
  return undefined
}

/** The levels a callee names: `.warn`, or `[cond ? 'info' : 'warn']`. */
function levelsOf(callee: ts.Expression): { target: ts.Expression; levels: Level[] } | undefined {
  const isLevel = (s: string): s is Level => (LEVELS as readonly string[]).includes(s)
  if (ts.isPropertyAccessExpression(callee) && isLevel(callee.name.text)) return { target: callee.expression, levels: [callee.name.text] }
  if (ts.isElementAccessExpression(callee)) {
    const arg = callee.argumentExpression
    const names = ts.isConditionalExpression(arg) ? [arg.whenTrue, arg.whenFalse] : [arg]
    const levels = names.flatMap((n) => (ts.isStringLiteral(n) && isLevel(n.text) ? [n.text] : []))
    if (levels.length === names.length) return { target: callee.expression, levels }
  }
  return undefined
}

export async function logLines(root: string): Promise<LogLine[]> {
  const out: LogLine[] = []
  for (const path of await sourceFiles(join(root, 'src'))) {
    const source = ts.createSourceFile(path, await readFile(path, 'utf8'), ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const found = levelsOf(node.expression)
        // The receiver names a logger (log, logger, rpcLogger, this.log …), not e.g. console.
        const receiver = found && found.target.getText(source).replace(/\?$/, '')
        if (found && receiver && /(^|\.)(\w*[lL]og(ger)?)$/.test(receiver) && !/console/.test(receiver)) {
          const msg = messageOf(node.arguments[node.arguments.length - 1])
          if (msg !== undefined) {
            const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
            for (const level of found.levels) out.push({ level, msg, file: relative(root, path), line: line + 1 })
          }
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return out
}
