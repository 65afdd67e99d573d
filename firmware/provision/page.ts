/*
 * The setup page: one constant (flash when preloaded), plain HTML, CSS and a
 * little script, no framework. ASCII only, so the server sends it in slices
 * without copying it whole. The script builds the form from a table of fields,
 * prefills it from /api/settings, posts the changed fields to /api/provision
 * and shows each field's error beside it (#result says how the form fared),
 * and follows /api/state all along (#status: unprovisioned, connecting,
 * connected, or the field that stops it). Field names, codes and
 * routes: docs/provisioning.md.
 */
export const SETUP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>sensor-node setup</title>
<style>
body{font:15px system-ui,sans-serif;max-width:42em;margin:1em auto;padding:0 1em;color:#222}
fieldset{border:1px solid #ccc;border-radius:6px;margin:0 0 1em}
label{display:block;margin:.6em 0 .1em;font-weight:600}
input,select,textarea{box-sizing:border-box;width:100%;font:inherit;padding:.3em}
textarea{height:4.5em;font:12px monospace}
small{color:#666}.err{color:#b00;display:block}.bad{border-color:#b00;background:#fee}
#status{padding:.6em;border-radius:6px;background:#eee}
#status[data-state=connected]{background:#dfd}#status[data-state=error],#status[data-state=refused]{background:#fdd}
#result[data-state=invalid],#result[data-state=error]{color:#b00;font-weight:600}
button{font:inherit;padding:.4em 1.2em;margin:0 .5em 1em 0}
</style></head><body>
<h1>sensor-node setup</h1>
<p id="status" data-state="loading">Loading...</p>
<p id="readings"></p>
<p id="result" data-state="idle"></p>
<form id="form" novalidate>
<fieldset><legend>Access</legend><label for="setupKey">Setup key</label>
<input id="setupKey" type="password" autocomplete="off" placeholder="XXXX-XXXX-XXXX">
<small>Shown on the serial console while the node is unprovisioned; needed once it is provisioned.</small></fieldset>
<div id="fields"></div>
<button id="save">Save and connect</button><button type="button" id="reset">Factory reset</button>
</form>
<script>
"use strict";
const F=[["Wi-Fi"],["ssid","Network (SSID)","text"],["password","Password","secret"],
["Broker"],["broker","Broker URL","text","mqtt://host:1883 or mqtts://host:8883"],["nodeId","Node id","text","empty: from the hardware id"],
["mqttUser","MQTT user","text"],["mqttPassword","MQTT password","secret"],
["Trust (PEM)"],["ca","CA certificate","pem"],["cert","Client certificate (mTLS)","pem"],["key","Client key","secret-pem"],
["Machine"],["machineGroup","ISO 10816-3 group","select",",1,2"],["foundation","Foundation","select",",rigid,flexible"],["rpm","Running speed (rpm)","number"]];
const $=function(id){return document.getElementById(id)},shown={};let timer=0,loaded=false;
function el(tag,attrs,text){var e=document.createElement(tag);for(var k in attrs)e.setAttribute(k,attrs[k]);if(text)e.textContent=text;return e}
function build(){var box=$("fields"),set;F.forEach(function(f){
 if(f.length==1){set=box.appendChild(el("fieldset"));set.appendChild(el("legend",{},f[0]));return}
 var n=f[0],kind=f[2],c;set.appendChild(el("label",{"for":n},f[1]));
 if(kind=="select"){c=el("select",{id:n});f[3].split(",").forEach(function(o){c.appendChild(el("option",{value:o},o||"(default)"))})}
 else if(kind.indexOf("pem")>=0){c=el("textarea",{id:n,spellcheck:"false",placeholder:"-----BEGIN ..."})}
 else c=el("input",{id:n,type:kind=="secret"?"password":kind=="number"?"number":"text",autocomplete:"off",placeholder:f[3]||""});
 set.appendChild(c);
 if(kind.indexOf("pem")>=0){var file=el("input",{type:"file",accept:".pem,.crt,.key,.txt"});file.onchange=function(){var r=new FileReader();r.onload=function(){c.value=r.result};if(file.files[0])r.readAsText(file.files[0])};set.appendChild(file)}
 set.appendChild(el("small",{"class":"err",id:"e-"+n}))})}
function headers(json){var h={},k=$("setupKey").value.trim();if(json)h["Content-Type"]="application/json";if(k)h.Authorization="Bearer "+k;return h}
function status(state,text){var s=$("status");s.dataset.state=state;s.textContent=text}
function result(state,text){var r=$("result");r.dataset.state=state;r.textContent=text}
function clearErrors(){F.forEach(function(f){if(f.length>1){$("e-"+f[0]).textContent="";$(f[0]).classList.remove("bad")}})}
function showErrors(list){var general=[];list.forEach(function(e){var m=e.field&&$("e-"+e.field);
 if(m){m.textContent=e.message+" ("+e.code+")";$(e.field).classList.add("bad")}else general.push((e.field?e.field+": ":"")+e.message+" ("+e.code+")")});return general.join("; ")}
function api(path,body){return fetch("/api/"+path,body===undefined?{headers:headers()}:{method:"POST",headers:headers(true),body:JSON.stringify(body)})
 .then(function(r){return r.json().then(function(j){j.httpStatus=r.status;return j})})}
function refused(j){if(j.httpStatus==401||j.httpStatus==429){status("refused",j.errors[0].message);return true}return false}
function prefill(){api("settings").then(function(j){if(refused(j))return;loaded=true;F.forEach(function(f){var n=f[0],v=j[n];if(f.length==1)return;
 if(f[2].indexOf("secret")>=0){$(n).placeholder=j[n+"Set"]?"(set: leave empty to keep)":"";return}
 if(f[2]=="pem"){$(n).placeholder=v?(v.subject||"certificate")+", valid to "+v.notAfter+" (leave empty to keep)":"-----BEGIN CERTIFICATE-----";shown[n]="";return}
 shown[n]=v==null?"":String(v);$(n).value=shown[n]})}).catch(function(){})}
function collect(){var out={};F.forEach(function(f){if(f.length==1)return;var n=f[0],v=$(n).value.trim();
 if(f[2].indexOf("secret")>=0||f[2]=="pem"){if(v)out[n]=f[2].indexOf("pem")>=0?v+"\\n":v;return}
 if(v===(shown[n]||""))return;out[n]=v===""?"":f[2]=="number"||n=="machineGroup"?Number(v):v});return out}
function poll(){clearTimeout(timer);api("state").then(function(j){if(refused(j))return;var m=j.mqtt||{};
 if(j.state=="unprovisioned")status("unprovisioned","Unprovisioned ("+j.nodeId+"): fill in the broker"+" and save. Sampling, publishing nothing yet.");
 else if(j.state=="connected")status("connected","Connected to "+j.broker+" as "+j.nodeId+": publishing.");
 else if(j.state=="error"){clearErrors();status("error","Cannot connect: "+showErrors([m.error]))}
 else status(j.state,(j.state=="restarting"?"Restarting with the new settings":"Connecting to "+j.broker)+"...");
 var r=j.vRms;$("readings").textContent=r?"vRms x "+r.x.toFixed(2)+" y "+r.y.toFixed(2)+" z "+r.z.toFixed(2)+" mm/s"+(j.tempC!=null?", "+j.tempC.toFixed(1)+" degC":"")+" (window "+j.windows+")":""})
 .catch(function(){status("restarting","Waiting for the node...")}).then(function(){timer=setTimeout(poll,1000)})}
$("form").onsubmit=function(ev){ev.preventDefault();clearErrors();result("saving","Saving...");
 api("provision",collect()).then(function(j){if(refused(j))return result("error","Not saved: "+j.errors[0].message);if(!j.ok){var g=showErrors(j.errors);result("invalid","Not saved: fix the fields marked"+(g?" ("+g+")":"")+".");return}
 result("saved","Saved: the node restarts with the new settings.");status("restarting","Restarting...");setTimeout(function(){prefill();poll()},j.restartInMs+500)}).catch(function(e){result("error","No answer: "+e)})};
$("reset").onclick=function(){if(!confirm("Forget every provisioned setting?"))return;api("factory-reset",{}).then(function(j){if(refused(j))return;
 result("saved","Factory reset: the node restarts unprovisioned.");setTimeout(function(){prefill();poll()},j.restartInMs+500)})};
$("setupKey").onchange=function(){if(!loaded)prefill();poll()};
build();prefill();poll();
</script></body></html>
`;
