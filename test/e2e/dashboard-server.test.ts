/**
 * Serving the built dashboard under /dashboard/ of a real JSON-RPC server on loopback: content
 * types and caching, the single-page fallback, nothing outside the build folder, and a clear 404
 * when the web app was not built.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RpcServer } from '../../src/rpc/server.js'
import { dashboardRoute } from '../../src/ops/dashboard.js'
import { tempDir } from '../helpers/tmp.js'

let tmp: Awaited<ReturnType<typeof tempDir>>
let built: RpcServer
let unbuilt: RpcServer

beforeAll(async () => {
  tmp = await tempDir('quorate-dashboard-')
  const dist = join(tmp.dir, 'web', 'dist')
  await mkdir(join(dist, 'assets'), { recursive: true })
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>dash</title>')
  await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)')
  await writeFile(join(dist, 'assets', 'index-abc123.css'), 'body{}')
  await writeFile(join(tmp.dir, 'web', 'secret.txt'), 'do not serve')
  await writeFile(join(tmp.dir, 'secret.txt'), 'do not serve')
  built = new RpcServer({ port: 0, httpRoutes: [dashboardRoute({ dir: dist })] })
  unbuilt = new RpcServer({ port: 0, httpRoutes: [dashboardRoute({ dir: join(tmp.dir, 'nothing-here') })] })
  await Promise.all([built.start(), unbuilt.start()])
})

afterAll(async () => {
  await Promise.all([built?.stop(), unbuilt?.stop()])
  await tmp?.cleanup()
})

/** A raw request, so the path is sent exactly as written (fetch would normalise dot segments). */
function get(server: RpcServer, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('dashboard static files', () => {
  it('serves index.html and hashed assets with their content types and caching', async () => {
    const page = await get(built, '/dashboard/')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['cache-control']).toBe('no-cache')
    expect(page.headers['content-security-policy']).toContain("default-src 'self'")
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.body).toBe('<!doctype html><title>dash</title>')

    const js = await get(built, '/dashboard/assets/index-abc123.js')
    expect(js.status).toBe(200)
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(js.headers['cache-control']).toContain('immutable')
    expect(js.body).toBe('console.log(1)')
    expect((await get(built, '/dashboard/assets/index-abc123.css')).headers['content-type']).toBe('text/css; charset=utf-8')

    const head = await get(built, '/dashboard/assets/index-abc123.js', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe(String('console.log(1)'.length))
    expect(head.body).toBe('')
  })

  it('redirects /dashboard to /dashboard/ and falls back to the page for app routes, not for missing assets', async () => {
    const redirect = await get(built, '/dashboard?x=1')
    expect(redirect.status).toBe(308)
    expect(redirect.headers.location).toBe('/dashboard/?x=1')
    const deep = await get(built, '/dashboard/parties/pensionfund')
    expect(deep.status).toBe(200)
    expect(deep.body).toContain('<title>dash</title>')
    const missing = await get(built, '/dashboard/assets/gone-123.js')
    expect(missing.status).toBe(404)
    expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8')
  })

  it('serves nothing outside the build folder', async () => {
    for (const path of [
      '/dashboard/../secret.txt',
      '/dashboard/..%2fsecret.txt',
      '/dashboard/..%2f..%2fsecret.txt',
      '/dashboard/%2e%2e/%2e%2e/secret.txt',
      '/dashboard/..%5c..%5csecret.txt',
      '/dashboard/assets/..%2f..%2f..%2fsecret.txt',
      '/dashboard/%00index.html',
    ]) {
      const res = await get(built, path)
      expect(res.body, path).not.toContain('do not serve')
      expect(res.status, path).toBeGreaterThanOrEqual(400)
    }
    expect((await get(built, '/dashboard/%E0%A4%A')).status).toBe(400)
  })

  it('answers a clear 404 when the web app was not built', async () => {
    const res = await get(unbuilt, '/dashboard/')
    expect(res.status).toBe(404)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body).toContain('The dashboard is not built')
    expect(res.body).toContain('npm run build:web')
  })
})
