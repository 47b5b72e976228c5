export * from './errors.js';
export * from './u64.js';
export * from './text.js';
export * from './libpq.js';
export * from './frame-reader.js';
export * from './pagestream.js';
export * from './getpage.js';
export { checksumBlock, pageChecksum, verifyPageChecksum, setPageChecksum, buildPage, buildPageFromWords, PageIdWord, PAGE_ID_WORDS, isZeroPage, pageLsn, PageHeader, IDENTITY_STAMP_OFFSET } from './page.js';
export type { PageIdentity } from './page.js';
