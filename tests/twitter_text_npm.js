// The npm twitter-text 3.1.0 referee of tests/test_measure_reference.py: reads a JSON array of texts on stdin and
// writes {"version": ..., "readings": [[weightedLength, [[start, end] of each URL, in UTF-16 units, of the NFC
// text]], ...]}. `require` finds twitter-text through NODE_PATH (the node_modules folder of
// `npm install twitter-text@3.1.0`).
"use strict";
const twitter = require("twitter-text");
const version = require("twitter-text/package.json").version;
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const readings = JSON.parse(input).map((text) => [
    twitter.parseTweet(text).weightedLength,
    twitter.extractUrlsWithIndices(text.normalize("NFC")).map((url) => url.indices),
  ]);
  process.stdout.write(JSON.stringify({ version, readings }));
});
