import { QuorateError, type QuorateErrorOptions } from '../src/errors.js'

/** A soak that could not run as asked (set-up, flags); a broken invariant is reported, not thrown. */
export class SoakError extends QuorateError {
  override name = 'SoakError'
  constructor(shortMessage: string, opts: QuorateErrorOptions = {}) {
    super('SOAK_FAILED', shortMessage, opts)
  }
}
