// 改造项目 list: select all, confirm a batch approval, open the village notice.
(function(){
  var all=document.querySelector('[data-check-all]');
  if(all){all.addEventListener('change',function(){document.querySelectorAll('input[name=ids]').forEach(function(c){c.checked=all.checked;});});}
  var approve=document.getElementById('approve-batch');
  if(approve){approve.addEventListener('click',function(ev){if(!window.confirm(approve.dataset.confirmBatch)){ev.preventDefault();}});}
  document.querySelectorAll('[data-notice]').forEach(function(b){b.addEventListener('click',function(){
    var v=document.getElementById('notice-village').value, y=document.getElementById('notice-year').value;
    window.location=b.dataset.noticeBase+encodeURIComponent(v)+'/notice.'+b.dataset.notice+'?year='+encodeURIComponent(y);
  });});
})();
