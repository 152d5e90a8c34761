/** Directory of the web app. */
export declare const webRoot: string;
/** Build the app (unless `rebuild: false` and a build exists) and serve it on 127.0.0.1; resolves to its address. */
export declare function serveWeb(options?: { port?: number; rebuild?: boolean; log?: (message: string) => void }): Promise<{ url: string; close: () => Promise<void> }>;
