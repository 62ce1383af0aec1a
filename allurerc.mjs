// Allure 3 configuration for scripts/book_report.sh: one offline HTML file whose tree is
// book chapter -> experiment -> harness scenario (the epic/feature/story labels of
// harness/bdd/report_labels.py), with the categories the pytest plugin writes into the
// results directory (harness/bdd/report_results.py: one list for Allure 2 and 3) and a
// history file that outlives the report, so trends appear from the second run on.
import { existsSync, readFileSync } from "node:fs";

const results = process.env.IRP_ALLURE_RESULTS ?? "reports/allure-results";
const categoriesFile = `${results}/categories.json`;
const rules = existsSync(categoriesFile)
  ? JSON.parse(readFileSync(categoriesFile, "utf-8")).map(({ description, ...rule }) => rule)
  : [];

export default {
  name: "irp-harness: book regression",
  output: process.env.IRP_ALLURE_REPORT ?? "reports/allure-report",
  historyPath: process.env.IRP_ALLURE_HISTORY ?? "reports/allure-history.jsonl",
  categories: { rules },
  plugins: {
    awesome: {
      options: {
        singleFile: true,
        reportLanguage: "en",
        groupBy: ["epic", "feature", "story"],
      },
    },
  },
};
