// Registers the available type readers with the session loader.
export {};
