console.log("a script the page could load");
