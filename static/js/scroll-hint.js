/* Wide tables scroll sideways inside their .table-responsive box on a phone, but nothing showed
   that they do: a column cut at the box's edge looked like a column missing. A box with more of
   its table to the right (or left) gets .scroll-more-end (.scroll-more-start), which fades that
   edge (app.css). A box that scrolls is also a keyboard stop (tabindex 0, a region named by its
   table's caption), so it can be scrolled with the arrow keys. Without JavaScript the boxes
   still scroll, with no fade. */
(function () {
  "use strict";

  var boxes = Array.prototype.slice.call(document.querySelectorAll(".table-responsive"));
  if (!boxes.length) {
    return;
  }

  function update(box) {
    var overflow = box.scrollWidth - box.clientWidth;
    var scrolls = box.clientWidth > 0 && overflow > 1;
    box.classList.toggle("scroll-more-start", scrolls && box.scrollLeft > 1);
    box.classList.toggle("scroll-more-end", scrolls && box.scrollLeft < overflow - 1);
    if (scrolls && !box.hasAttribute("tabindex")) {
      var caption = box.querySelector("caption");
      box.setAttribute("tabindex", "0");
      box.setAttribute("data-scroll-stop", "");
      if (caption && caption.textContent.trim() && !box.hasAttribute("role")) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption.textContent.trim());
        box.setAttribute("data-scroll-stop", "named");
      }
    } else if (!scrolls && box.hasAttribute("data-scroll-stop")) {
      // Wider screen now (a phone turned): the table fits and needs no keyboard stop.
      if (box.getAttribute("data-scroll-stop") === "named") {
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
      box.removeAttribute("tabindex");
      box.removeAttribute("data-scroll-stop");
    }
  }

  var observer = "ResizeObserver" in window ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var box = entry.target.closest(".table-responsive");
      if (box) {
        update(box);
      }
    });
  }) : null;

  boxes.forEach(function (box) {
    box.addEventListener("scroll", function () {
      update(box);
    }, { passive: true });
    if (observer) {
      // The box for a change of screen width, its table for content that grows (a closed
      // <details> opening: its box goes from 0 px wide to the card's width).
      observer.observe(box);
      if (box.firstElementChild) {
        observer.observe(box.firstElementChild);
      }
    } else {
      window.addEventListener("resize", function () {
        update(box);
      });
    }
    update(box);
  });
})();
